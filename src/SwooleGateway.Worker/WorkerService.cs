using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SwooleGateway.Hosting;
using SwooleGateway.Options;
using SwooleGateway.Protocol.Messages;
using SwooleGateway.Worker.Execution;
using SwooleGateway.Transport;

namespace SwooleGateway.Worker;

/// <summary>
/// The worker role: subscribes to the registers, connects to every gateway, runs the application's
/// <see cref="GatewayEventHandler"/> for client events (<see cref="HandlerScheduler"/>) and gives it the
/// <see cref="GatewayApi"/>. Stopping is graceful: gateways are told to send no new events, every event received is
/// handled and acknowledged (up to <see cref="WorkerOptions.DrainTimeout"/>), then the links close.
/// </summary>
public sealed partial class WorkerService : BackgroundService
{
    public const string Role = "worker";

    private readonly GatewayEventHandler _handler;
    private readonly ILogger<WorkerService> _logger;
    private readonly WorkerOptions _workerOptions;
    private readonly HandlerScheduler _scheduler;
    private readonly GatewayDirectory _directory;
    private readonly WorkerMetrics _metrics;
    private readonly CancellationTokenSource _links = new(); // never disposed (it has no timer): StopAsync may come after Dispose
    private readonly Lock _stopGate = new();
    private Task? _stop; // the one graceful stop: later StopAsync calls wait for it

    internal WorkerService(GatewayEventHandler handler, IOptions<SwooleGatewayOptions> options, IOptions<WorkerOptions> workerOptions, SocketTransport sockets, ILogger<WorkerService> logger,
        System.Diagnostics.Metrics.IMeterFactory? meterFactory = null)
    {
        _metrics = new WorkerMetrics(meterFactory);
        _handler = handler;
        _logger = logger;
        _workerOptions = workerOptions.Value;
        options.Value.Validate();
        string nodeId = _workerOptions.Name ?? $"worker-{Environment.MachineName}-{Environment.ProcessId}-{Random.Shared.Next(0x10000):x4}";
        _scheduler = new HandlerScheduler(handler, _workerOptions, logger, clientId => Api!.CloseClient(clientId), _metrics);
        string[] tags = Tags(_workerOptions.Tags);
        _directory = new GatewayDirectory(sockets, options.Value, logger, Role, nodeId, _scheduler, _workerOptions.MissingGatewayWindow, tags);
        _directory.Report = () => new StatusReportFrame(Role, NodeId, NodeIdentity.Version, NodeIdentity.Framework, NodeIdentity.StartedMs, "", tags,
            new Dictionary<string, ulong>(StringComparer.Ordinal)
            {
                ["gateways"] = (ulong)_directory.Links.Length,
                ["clients"] = (ulong)KnownClients,
                ["events_total"] = (ulong)_directory.EventsReceived,
                ["handlers_active"] = (ulong)Math.Max(0, _scheduler.Active),
                ["clients_waiting"] = (ulong)_scheduler.Waiting,
                ["handler_errors_total"] = (ulong)Interlocked.Read(ref _metrics.HandlerErrorsTotal),
                ["events_redelivered_total"] = (ulong)Interlocked.Read(ref _metrics.RedeliveredTotal),
            });
        Api = new GatewayApi(_directory, _workerOptions);
        handler.Gateway = Api;
        _metrics.Observe(() => _scheduler.Active, () => _scheduler.Waiting, () => _directory.Links.Select(l =>
            new System.Diagnostics.Metrics.Measurement<long>(l.QueueDepth, new KeyValuePair<string, object?>("swoolegateway.gateway", l.Advertised.ToString()))));
    }

    /// <summary>The configured tags, checked: the handshake carries at most 64 names of 1 to 256 characters.</summary>
    private static string[] Tags(List<string> tags)
    {
        string[] distinct = [.. tags.Where(t => !string.IsNullOrWhiteSpace(t)).Select(t => t.Trim()).Distinct(StringComparer.Ordinal)];
        if (distinct.Length > Protocol.Messages.AuthFrame.MaxTags || distinct.Any(t => t.Length > Protocol.Handshake.MaxNameLength))
        {
            throw new InvalidOperationException(
                $"SwooleGateway:Worker:Tags has {distinct.Length} tags; at most {Protocol.Messages.AuthFrame.MaxTags} of at most {Protocol.Handshake.MaxNameLength} characters each are allowed.");
        }

        return distinct;
    }

    /// <summary>This worker's Gateway API.</summary>
    public GatewayApi Api { get; }

    public string NodeId => _directory.NodeId;

    /// <summary>Number of gateways this worker is connected to.</summary>
    public int GatewayCount => _directory.Links.Length;

    /// <summary>Clients whose handlers run or wait (for tests and diagnostics).</summary>
    internal int ActiveClients => _scheduler.Active;

    /// <summary>Clients this worker keeps state for, over all its gateway links (for tests and diagnostics).</summary>
    internal int KnownClients => _directory.Links.Sum(l => l.ClientCount);

    /// <summary>Raised after a gateway link opens or closes.</summary>
    public event Action? GatewaysChanged
    {
        add => _directory.LinksChanged += value;
        remove => _directory.LinksChanged -= value;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        GatewayApi.SetDefault(Api);
        ThreadPoolGuard.Register(_scheduler, _logger);
        using var trimmerStop = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        Task trimmer = new MemoryTrimmer(new ChurnSource(() => Interlocked.Read(ref _metrics.ClientChurn), () => KnownClients, () => _workerOptions.TrimMemoryAfterChurn),
            () => _metrics.MemoryTrims.Add(1), _logger, WorkerOptions.SectionName).RunAsync(trimmerStop.Token);
        try
        {
            await _handler.OnWorkerStart(stoppingToken).ConfigureAwait(false);
            Log.Started(_logger, NodeId, _scheduler.Slots);

            // Links run on their own token so that stopping can drain before they close.
            await _directory.RunAsync(_links.Token).ConfigureAwait(false);
        }
        finally
        {
            await trimmerStop.CancelAsync().ConfigureAwait(false);
            await trimmer.ConfigureAwait(false);
            ThreadPoolGuard.Unregister(_scheduler);
            GatewayApi.ClearDefault(Api);
        }
    }

    /// <summary>
    /// Leaves gracefully (see the class summary). Any number of calls, in any order with <see cref="Dispose"/>: the first
    /// one stops the worker, later ones wait for it (bounded by their own token).
    /// </summary>
    public override Task StopAsync(CancellationToken cancellationToken)
    {
        Task stop;
        lock (_stopGate)
        {
            stop = _stop ??= StopOnceAsync(cancellationToken);
        }

        return stop.IsCompleted ? stop : stop.WaitAsync(cancellationToken);
    }

    private async Task StopOnceAsync(CancellationToken cancellationToken)
    {
        await Task.Yield(); // the first caller gets the task back before the stop runs (it is published under the lock)
        // Graceful leave, so that a reload loses no event and nothing is handled twice: (1) ask every gateway to route
        // nothing new here and wait for its acknowledgement (events routed before it arrive before it); (2) handle every
        // event received; (3) send the last acknowledgements; (4) only then close. Bounded by DrainTimeout: what is not
        // acknowledged by then, the gateways send to other workers.
        GatewayLink[] links = _directory.Links;
        foreach (GatewayLink link in links)
        {
            link.Connection.TrySend(new WorkerDrainingFrame());
        }

        using (var drain = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            drain.CancelAfter(_workerOptions.DrainTimeout);
            try
            {
                await Task.WhenAll(links.Select(l => l.Drained.Task.WaitAsync(drain.Token))).ConfigureAwait(false);
                while (_scheduler.Active > 0)
                {
                    await Task.Delay(10, drain.Token).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException)
            {
                Log.DrainTimedOut(_logger, _scheduler.Active);
            }
        }

        foreach (GatewayLink link in links)
        {
            link.FlushAcknowledgements();
        }

        try
        {
            await _handler.OnWorkerStop(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            Log.StopHandlerFailed(_logger, ex);
        }

        await _links.CancelAsync().ConfigureAwait(false);
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        Log.Stopped(_logger, NodeId);
    }

    /// <summary>Closes the links if no stop did (a host disposed without being stopped); quiet when called again.</summary>
    public override void Dispose()
    {
        _links.Cancel();
        base.Dispose();
    }

    private static partial class Log
    {
        [LoggerMessage(4201, LogLevel.Information, "Worker {NodeId} started (handlers of up to {Slots} clients at once)", EventName = "WorkerStarted")]
        public static partial void Started(ILogger logger, string nodeId, int slots);

        [LoggerMessage(4202, LogLevel.Information, "Worker {NodeId} stopped", EventName = "WorkerStopped")]
        public static partial void Stopped(ILogger logger, string nodeId);

        [LoggerMessage(4203, LogLevel.Warning, "Worker stop: gave up draining after DrainTimeout ({InFlight} clients still had running or queued handlers, or a gateway did not acknowledge); the gateways send their unacknowledged events to other workers", EventName = "DrainTimedOut")]
        public static partial void DrainTimedOut(ILogger logger, int inFlight);

        [LoggerMessage(4204, LogLevel.Error, "OnWorkerStop failed", EventName = "StopHandlerFailed")]
        public static partial void StopHandlerFailed(ILogger logger, Exception exception);
    }
}
