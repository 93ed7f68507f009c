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
    private readonly CancellationTokenSource _stopping = new(); // never disposed (it has no timer): StopAsync may come after DisposeAsync
    private readonly SocketTransport? _ownedSockets; // created by the standalone constructor, released by DisposeAsync
    private readonly Lock _gate = new();
    private Task? _running;
    private bool _disposed;

    internal GatewayClient(IOptions<SwooleGatewayOptions> options, IOptions<WorkerOptions> clientOptions, SocketTransport sockets, ILogger<GatewayClient>? logger = null)
    {
        options.Value.Validate();
        string nodeId = clientOptions.Value.Name ?? $"client-{Environment.MachineName}-{Environment.ProcessId}-{Random.Shared.Next(0x10000):x4}";
        _directory = new GatewayDirectory(sockets, options.Value, (ILogger?)logger ?? NullLogger.Instance, Role, nodeId, scheduler: null, clientOptions.Value.MissingGatewayWindow);
        Api = new GatewayApi(_directory, clientOptions.Value);
    }

    /// <summary>Creates a client from plain options (no host): registers, secret and timeouts.</summary>
    public GatewayClient(SwooleGatewayOptions options, WorkerOptions? clientOptions = null, ILoggerFactory? loggerFactory = null)
        : this(options, clientOptions, loggerFactory, new SocketTransport(loggerFactory))
    {
    }

    private GatewayClient(SwooleGatewayOptions options, WorkerOptions? clientOptions, ILoggerFactory? loggerFactory, SocketTransport sockets)
        : this(Microsoft.Extensions.Options.Options.Create(options), Microsoft.Extensions.Options.Options.Create(clientOptions ?? new WorkerOptions()),
            sockets, loggerFactory?.CreateLogger<GatewayClient>())
    {
        _ownedSockets = sockets;
    }

    /// <summary>The Gateway API: the same operations a worker's handler has.</summary>
    public GatewayApi Api { get; }

    /// <summary>The client's view of the gateways (for tests).</summary>
    internal GatewayDirectory Directory => _directory;

    /// <summary>Number of gateways connected now.</summary>
    public int GatewayCount => _directory.Links.Length;

    /// <summary>Raised after a gateway link opens or closes.</summary>
    public event Action? GatewaysChanged
    {
        add => _directory.LinksChanged += value;
        remove => _directory.LinksChanged -= value;
    }

    /// <summary>Connects to the registers and the gateways they list (in the background; returns at once).</summary>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _running ??= Task.Run(() => _directory.RunAsync(_stopping.Token), CancellationToken.None);
        }

        return Task.CompletedTask;
    }

    /// <summary>
    /// Closes the links and waits for them to close (bounded by <paramref name="cancellationToken"/>). Any number of
    /// calls, before or after <see cref="DisposeAsync"/>: a host stops its hosted services and then disposes them.
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        Task? running;
        lock (_gate)
        {
            running = _running;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        if (running is not null)
        {
            await running.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Stops (waiting up to 10 s for the links to close) and releases what the client owns. Quiet when called again.</summary>
    public async ValueTask DisposeAsync()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await StopAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        _ownedSockets?.Dispose();
    }
}
