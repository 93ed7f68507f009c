using EchoSample;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SwooleGateway.Gateway;
using SwooleGateway.Register;
using SwooleGateway.Tests.Infrastructure;
using SwooleGateway.Worker;

namespace SwooleGateway.Tests;

/// <summary>
/// Stopping and disposing a role, or a <see cref="GatewayClient"/>, in any order and any number of times is quiet: a host
/// stops its hosted services and then disposes the container, which disposes each singleton once per registration that
/// produced it (the role's own and the hosted-service registration that forwards to it), and user code may stop or dispose
/// it again on top of that. Each role runs in its own host against a live register (and gateway), so the stop has real
/// links to close.
/// </summary>
[TestFixture]
[CancelAfter(120_000)]
public sealed class LifecycleTests
{
    public enum Role
    {
        Register,
        Gateway,
        Worker,
        Client,
    }

    public enum Order
    {
        /// <summary>What a host does on SIGTERM: stop, then dispose (and the service is disposed once per registration).</summary>
        StopThenDispose,

        /// <summary>Disposed without being stopped (a host disposed in a <c>using</c> after an exception).</summary>
        DisposeWithoutStop,

        /// <summary>Stopped twice (an app that stops its host itself, then the host's lifetime stops it again), disposed twice.</summary>
        StopTwiceDisposeTwice,

        /// <summary>After the host has been disposed, the application stops and disposes the service itself.</summary>
        StopAndDisposeAfterHostDisposed,
    }

    [Test]
    public async Task A_role_stops_and_disposes_quietly_in_any_order([Values] Role role, [Values] Order order)
    {
        await using TestCluster cluster = await TestCluster.StartAsync(gateways: 1, workers: 0);
        var logs = new LogSink();
        IHost host = Build(cluster, role, logs);
        await host.StartAsync().DefaultTimeout();
        object service = role switch
        {
            Role.Register => host.Services.GetRequiredService<RegisterServer>(),
            Role.Gateway => host.Services.GetRequiredService<GatewayServer>(),
            Role.Worker => host.Services.GetRequiredService<WorkerService>(),
            _ => host.Services.GetRequiredService<GatewayClient>(),
        };
        if (role is Role.Worker or Role.Client)
        {
            // Connected to the gateway, so the stop has a link to drain and close.
            await TimeoutExtensions.WaitUntil(() => (service is WorkerService w ? w.GatewayCount : ((GatewayClient)service).GatewayCount) == 1,
                "the role to reach the gateway");
        }

        var hosted = (IHostedService)service;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        switch (order)
        {
            case Order.StopThenDispose:
                await host.StopAsync(timeout.Token);
                await DisposeAsync(host);
                break;
            case Order.DisposeWithoutStop:
                await DisposeAsync(host);
                break;
            case Order.StopTwiceDisposeTwice:
                await host.StopAsync(timeout.Token);
                await hosted.StopAsync(timeout.Token);
                await DisposeAsync(host);
                await DisposeAsync(host);
                break;
            case Order.StopAndDisposeAfterHostDisposed:
                await host.StopAsync(timeout.Token);
                await DisposeAsync(host);
                await hosted.StopAsync(timeout.Token);
                await DisposeService(service);
                await DisposeService(service);
                break;
        }

        Assert.That(logs.Lines.Where(l => l.StartsWith("Error", StringComparison.Ordinal) || l.StartsWith("Critical", StringComparison.Ordinal)), Is.Empty,
            "no error logged while stopping");
    }

    [Test]
    public async Task A_standalone_GatewayClient_stops_and_disposes_any_number_of_times()
    {
        await using TestCluster cluster = await TestCluster.StartAsync(gateways: 1, workers: 0);
        GatewayClient client = await cluster.StartClientAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await client.StopAsync(timeout.Token);
        await client.StopAsync(timeout.Token);
        await client.DisposeAsync();
        await client.DisposeAsync();
        await client.StopAsync(timeout.Token);
        Assert.That(client.GatewayCount, Is.Zero, "its links are closed");

        var never = new GatewayClient(new SwooleGateway.Options.SwooleGatewayOptions { Secret = TestCluster.Secret, Registers = [cluster.RegisterEndPoint.ToString()] });
        await never.DisposeAsync(); // never started
        await never.StopAsync(timeout.Token);
    }

    private static IHost Build(TestCluster cluster, Role role, LogSink logs)
    {
        var settings = new Dictionary<string, string?>
        {
            ["SwooleGateway:Secret"] = TestCluster.Secret,
            ["SwooleGateway:Registers:0"] = cluster.RegisterEndPoint.ToString(),
            ["SwooleGateway:HeartbeatInterval"] = "00:00:01",
            ["SwooleGateway:MaxReconnectDelay"] = "00:00:00.500",
            ["SwooleGateway:Register:Listen"] = "127.0.0.1:0",
            ["SwooleGateway:Gateway:Internal"] = "127.0.0.1:0",
            ["SwooleGateway:Gateway:Listeners:0:Name"] = "ws",
            ["SwooleGateway:Gateway:Listeners:0:Protocol"] = "WebSocket",
            ["SwooleGateway:Gateway:Listeners:0:Endpoint"] = "127.0.0.1:0",
            ["SwooleGateway:Gateway:Listeners:1:Name"] = "tcp",
            ["SwooleGateway:Gateway:Listeners:1:Protocol"] = "Tcp",
            ["SwooleGateway:Gateway:Listeners:1:Endpoint"] = "127.0.0.1:0",
        };
        HostApplicationBuilder builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(logs);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(10));
        _ = role switch
        {
            Role.Register => builder.Services.AddSwooleGatewayRegister(),
            Role.Gateway => builder.Services.AddSwooleGatewayGateway(),
            Role.Worker => builder.Services.AddSwooleGatewayWorker<EchoHandler>(),
            _ => builder.Services.AddSwooleGatewayClient(),
        };
        return builder.Build();
    }

    private static async Task DisposeAsync(IHost host)
    {
        if (host is IAsyncDisposable asyncDisposable)
        {
            await asyncDisposable.DisposeAsync();
        }
        else
        {
            host.Dispose();
        }
    }

    private static async Task DisposeService(object service)
    {
        if (service is IAsyncDisposable asyncDisposable)
        {
            await asyncDisposable.DisposeAsync();
        }

        if (service is IDisposable disposable)
        {
            disposable.Dispose();
        }
    }
}
