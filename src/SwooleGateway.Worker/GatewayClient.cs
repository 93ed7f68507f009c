using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using SwooleGateway.Options;
using SwooleGateway.Transport;

namespace SwooleGateway.Worker;

/// <summary>
/// The Gateway API for any other .NET process (an ASP.NET Core app, a job): connects to the registers and
/// to every gateway like a worker, but receives no client events. Use it from DI
/// (<c>services.AddSwooleGatewayClient()</c>, then inject <see cref="GatewayClient"/> or its <see cref="Api"/>),
/// or standalone with <see cref="StartAsync"/>.
/// </summary>
public sealed class GatewayClient : IHostedService, IAsyncDisposable
{
    public const string Role = "client";

    private readonly GatewayDirectory _directory;
    private readonly CancellationTokenSource _stopping = new();
    private Task? _running;

    public GatewayClient(IOptions<SwooleGatewayOptions> options, IOptions<WorkerOptions> clientOptions, SocketTransport sockets, ILogger<GatewayClient>? logger = null)
    {
        options.Value.Validate();
        string nodeId = clientOptions.Value.Name ?? $"client-{Environment.MachineName}-{Environment.ProcessId}-{Random.Shared.Next(0x10000):x4}";
        _directory = new GatewayDirectory(sockets, options.Value, (ILogger?)logger ?? NullLogger.Instance, Role, nodeId, scheduler: null, clientOptions.Value.MissingGatewayWindow);
        Api = new GatewayApi(_directory, clientOptions.Value);
    }

    /// <summary>Creates a client from plain options (no host): registers, secret and timeouts.</summary>
    public GatewayClient(SwooleGatewayOptions options, WorkerOptions? clientOptions = null, ILoggerFactory? loggerFactory = null)
        : this(Microsoft.Extensions.Options.Options.Create(options), Microsoft.Extensions.Options.Options.Create(clientOptions ?? new WorkerOptions()),
            new SocketTransport(loggerFactory), loggerFactory?.CreateLogger<GatewayClient>())
    {
    }

    /// <summary>The Gateway API: the same operations a worker's handler has.</summary>
    public GatewayApi Api { get; }

    /// <summary>Number of gateways connected now.</summary>
    public int GatewayCount => _directory.Links.Length;

    /// <summary>Raised after a gateway link opens or closes.</summary>
    public event Action? GatewaysChanged
    {
        add => _directory.LinksChanged += value;
        remove => _directory.LinksChanged -= value;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _running ??= Task.Run(() => _directory.RunAsync(_stopping.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_running is not null)
        {
            await _running.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await StopAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        _stopping.Dispose();
    }
}
