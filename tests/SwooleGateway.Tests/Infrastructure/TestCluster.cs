using System.Net;
using EchoSample;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SwooleGateway.Gateway;
using SwooleGateway.Register;
using SwooleGateway.Worker;

namespace SwooleGateway.Tests.Infrastructure;

/// <summary>
/// Register, gateways and workers in the test process, each in its own host so each can be stopped on its
/// own, all bound to 127.0.0.1 port 0 with the real ports read back.
/// </summary>
internal sealed class TestCluster : IAsyncDisposable
{
    public const string Secret = "test-cluster-secret-7f3a";

    private readonly List<IHost> _hosts = [];
    private readonly List<GatewayClient> _clients = [];

    public LogSink Logs { get; } = new();

    public IHost? RegisterHost { get; private set; }

    public RegisterServer? Register { get; private set; }

    public IPEndPoint RegisterEndPoint { get; private set; } = null!;

    public List<(IHost Host, GatewayServer Server)> Gateways { get; } = [];

    public List<(IHost Host, WorkerService Service)> Workers { get; } = [];

    public GatewayServer Gateway => Gateways[0].Server;

    public IPEndPoint WebSocketEndPoint => Gateway.ListenerEndPoints["ws"];

    public IPEndPoint TcpEndPoint => Gateway.ListenerEndPoints["tcp"];

    public static Task<TestCluster> StartAsync(int gateways = 1, int workers = 1, Dictionary<string, string?>? gatewaySettings = null) =>
        StartAsync<EchoHandler>(gateways, workers, gatewaySettings);

    public static async Task<TestCluster> StartAsync<THandler>(int gateways = 1, int workers = 1, Dictionary<string, string?>? gatewaySettings = null,
        Action<IServiceCollection>? gatewayServices = null, Dictionary<string, string?>? workerSettings = null)
        where THandler : GatewayEventHandler
    {
        var cluster = new TestCluster();
        try
        {
            await cluster.StartRegisterAsync();
            for (int i = 0; i < gateways; i++)
            {
                await cluster.StartGatewayAsync(gatewaySettings, services: gatewayServices);
            }

            for (int i = 0; i < workers; i++)
            {
                await cluster.StartWorkerAsync<THandler>(settings: workerSettings);
            }

            await cluster.WaitConnectedAsync();
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    public async Task StartRegisterAsync(int port = 0, Dictionary<string, string?>? settings = null)
    {
        var config = new Dictionary<string, string?> { ["SwooleGateway:Register:Listen"] = $"127.0.0.1:{port}" };
        foreach (KeyValuePair<string, string?> entry in settings ?? [])
        {
            config[entry.Key] = entry.Value;
        }

        IHost host = Build(config, s => s.AddSwooleGatewayRegister());
        await host.StartAsync().DefaultTimeout();
        RegisterHost = host;
        Register = host.Services.GetRequiredService<RegisterServer>();
        RegisterEndPoint = await Register.BoundEndPoint.DefaultTimeout();
    }

    public async Task<GatewayServer> StartGatewayAsync(Dictionary<string, string?>? settings = null, string secret = Secret, Action<IServiceCollection>? services = null)
    {
        var config = new Dictionary<string, string?>
        {
            ["SwooleGateway:Secret"] = secret,
            ["SwooleGateway:Gateway:Internal"] = "127.0.0.1:0",
            ["SwooleGateway:Gateway:Listeners:0:Name"] = "ws",
            ["SwooleGateway:Gateway:Listeners:0:Protocol"] = "WebSocket",
            ["SwooleGateway:Gateway:Listeners:0:Endpoint"] = "127.0.0.1:0",
            ["SwooleGateway:Gateway:Listeners:1:Name"] = "tcp",
            ["SwooleGateway:Gateway:Listeners:1:Protocol"] = "Tcp",
            ["SwooleGateway:Gateway:Listeners:1:Endpoint"] = "127.0.0.1:0",
        };
        foreach (KeyValuePair<string, string?> entry in settings ?? [])
        {
            config[entry.Key] = entry.Value;
        }

        IHost host = Build(config, s =>
        {
            s.AddSwooleGatewayGateway();
            services?.Invoke(s);
        });
        await host.StartAsync().DefaultTimeout();
        GatewayServer server = host.Services.GetRequiredService<GatewayServer>();
        await server.Ready.DefaultTimeout();
        Gateways.Add((host, server));
        return server;
    }

    public async Task<WorkerService> StartWorkerAsync<THandler>(string secret = Secret, Dictionary<string, string?>? settings = null)
        where THandler : GatewayEventHandler
    {
        var config = new Dictionary<string, string?> { ["SwooleGateway:Secret"] = secret };
        foreach (KeyValuePair<string, string?> entry in settings ?? [])
        {
            config[entry.Key] = entry.Value;
        }

        IHost host = Build(config, s => s.AddSwooleGatewayWorker<THandler>());
        await host.StartAsync().DefaultTimeout();
        WorkerService service = host.Services.GetRequiredService<WorkerService>();
        Workers.Add((host, service));
        return service;
    }

    /// <summary>Starts a GatewayClient (API only, no events) against this cluster's register.</summary>
    public async Task<GatewayClient> StartClientAsync(TimeSpan? callTimeout = null, int pageSize = 1000)
    {
        var client = new GatewayClient(
            new SwooleGateway.Options.SwooleGatewayOptions
            {
                Secret = Secret,
                Registers = [RegisterEndPoint.ToString()],
                HeartbeatInterval = TimeSpan.FromSeconds(1),
                HeartbeatTimeout = TimeSpan.FromSeconds(5),
                MaxReconnectDelay = TimeSpan.FromMilliseconds(500),
            },
            new WorkerOptions { CallTimeout = callTimeout ?? TimeSpan.FromSeconds(5), ListPageSize = pageSize });
        await client.StartAsync(CancellationToken.None);
        _clients.Add(client);
        await TimeoutExtensions.WaitUntil(() => client.GatewayCount >= Gateways.Count, "the GatewayClient to reach every gateway");
        return client;
    }

    /// <summary>Cuts the links between the gateways and the worker named <paramref name="nodeId"/> as a crash or a network cut would (no drain); returns how many.</summary>
    public int CutWorkerLinks(string nodeId) => Gateways.Sum(g => g.Server.AbortWorkerLinks(nodeId, "test: link cut"));

    /// <summary>Waits until every worker has a link to every gateway and every gateway sees every worker.</summary>
    public Task WaitConnectedAsync() => TimeoutExtensions.WaitUntil(
        () => Workers.All(w => w.Service.GatewayCount == Gateways.Count) && Gateways.All(g => g.Server.WorkerCount == Workers.Count),
        "workers and gateways to connect");

    /// <summary>Changes settings of a running host, as an edited appsettings.json would (null removes a key), and reloads them.</summary>
    public static void Reconfigure(IHost host, Dictionary<string, string?> changes)
    {
        var config = (IConfigurationRoot)host.Services.GetRequiredService<IConfiguration>();
        foreach (KeyValuePair<string, string?> change in changes)
        {
            config[change.Key] = change.Value;
        }

        config.Reload();
    }

    public async Task StopAsync(IHost host)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await host.StopAsync(cts.Token);
        host.Dispose();
        _hosts.Remove(host);
        Gateways.RemoveAll(g => g.Host == host);
        Workers.RemoveAll(w => w.Host == host);
        if (host == RegisterHost)
        {
            RegisterHost = null;
            Register = null;
        }
    }

    private IHost Build(Dictionary<string, string?> settings, Action<IServiceCollection> configure)
    {
        var common = new Dictionary<string, string?>
        {
            ["SwooleGateway:Secret"] = Secret,
            ["SwooleGateway:HeartbeatInterval"] = "00:00:01",
            ["SwooleGateway:StatusInterval"] = "00:00:00.250",
            ["SwooleGateway:HeartbeatTimeout"] = "00:00:05",
            ["SwooleGateway:MaxReconnectDelay"] = "00:00:00.500",
        };
        if (RegisterEndPoint is not null)
        {
            common["SwooleGateway:Registers:0"] = RegisterEndPoint.ToString();
        }

        foreach (KeyValuePair<string, string?> entry in settings)
        {
            common[entry.Key] = entry.Value;
        }

        HostApplicationBuilder builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(common);
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(Logs);
        builder.Logging.SetMinimumLevel(LogLevel.Information);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(5));
        configure(builder.Services);
        IHost host = builder.Build();
        _hosts.Add(host);
        return host;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (GatewayClient client in _clients)
        {
            await client.DisposeAsync();
        }

        _clients.Clear();
        foreach (IHost host in Enumerable.Reverse(_hosts.ToList()))
        {
            try
            {
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                await host.StopAsync(cts.Token);
            }
            catch (Exception)
            {
                // keep tearing down the rest
            }

            host.Dispose();
        }

        _hosts.Clear();
    }
}
