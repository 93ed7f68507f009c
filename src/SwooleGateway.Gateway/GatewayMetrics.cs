using System.Diagnostics.Metrics;

namespace SwooleGateway.Gateway;

/// <summary>
/// A gateway's instruments, on the meter <c>SwooleGateway.Gateway</c> created through the host's
/// <see cref="IMeterFactory"/> (one per gateway: two gateways in one process do not share or duplicate instruments).
/// Visible to dotnet-counters and OpenTelemetry. Also keeps the few totals the status report needs (counters cannot be
/// read back).
/// </summary>
internal sealed class GatewayMetrics
{
    public const string MeterName = "SwooleGateway.Gateway";

    private readonly Meter _meter;

    /// <summary>Slow clients closed or with messages dropped, since start (for the status report).</summary>
    public long SlowClientsTotal;

    public GatewayMetrics(IMeterFactory? factory)
    {
        _meter = factory?.Create(MeterName) ?? new Meter(MeterName);
        MessagesIn = _meter.CreateCounter<long>("swoolegateway.gateway.messages_in", "{message}", "Client messages received");
        BytesIn = _meter.CreateCounter<long>("swoolegateway.gateway.bytes_in", "By", "Client payload bytes received");
        MessagesOut = _meter.CreateCounter<long>("swoolegateway.gateway.messages_out", "{message}", "Messages queued to clients");
        EventsDropped = _meter.CreateCounter<long>("swoolegateway.gateway.events_dropped", "{event}", "Client events dropped: no worker connected within HoldEventsFor, or HoldEventsWithoutWorker events were held already");
        EventsHeld = _meter.CreateCounter<long>("swoolegateway.gateway.events_held", "{event}", "Client events held: no worker connected, or waiting for a stopping or lost worker to settle the client's earlier events");
        EventsRedelivered = _meter.CreateCounter<long>("swoolegateway.gateway.events_redelivered", "{event}", "Events a worker did not acknowledge before its link closed, sent again to another worker");
        EventsPoisonDropped = _meter.CreateCounter<long>("swoolegateway.gateway.events_poison_dropped", "{event}", "Client events dropped instead of redelivered: MaxWorkerLossesPerEvent workers went away while each was its client's oldest unfinished event");
        ClientsMoved = _meter.CreateCounter<long>("swoolegateway.gateway.clients_moved", "{connection}", "Clients whose events moved to another worker because the router placed them elsewhere (their key changed, or a worker joined)");
        WorkerWindowsFull = _meter.CreateCounter<long>("swoolegateway.gateway.worker_windows_full", "{episode}", "Times a worker reached MaxUnackedEventsPerWorker or MaxUnackedBytesPerWorker");
        ReadsPaused = _meter.CreateCounter<long>("swoolegateway.gateway.reads_paused", "{pause}", "Client reads paused because the client (MaxUnackedEventsPerClient) or its worker (MaxUnackedEventsPerWorker) had too many unacknowledged events");
        ClientWindowsFull = _meter.CreateCounter<long>("swoolegateway.gateway.client_windows_full", "{episode}", "Times a client reached MaxUnackedEventsPerClient (its handler is stuck or slower than it sends): its reads paused, other clients' did not");
        SlowClientsClosed = _meter.CreateCounter<long>("swoolegateway.gateway.slow_clients_closed", "{connection}", "Clients closed because their outbound queue was full");
        ClientErrors = _meter.CreateCounter<long>("swoolegateway.gateway.client_protocol_errors", "{connection}", "Clients closed for bad input");
        SlowClientDrops = _meter.CreateCounter<long>("swoolegateway.gateway.slow_client_drops", "{message}", "Messages dropped for slow clients (DropNewest/DropOldest)");
        MessagesRejected = _meter.CreateCounter<long>("swoolegateway.gateway.messages_rejected", "{message}", "Messages skipped because the listener's framing cannot carry them (too long for its length prefix)");
        Throttled = _meter.CreateCounter<long>("swoolegateway.gateway.throttled", "{message}", "Client messages over the per-IP throttle");
        AcceptErrors = _meter.CreateCounter<long>("swoolegateway.gateway.accept_errors", "{error}", "Failed accepts on the gateway's listeners (for example file descriptors exhausted); the listener backs off");
        MemoryTrims = _meter.CreateCounter<long>("swoolegateway.gateway.memory_trims", "{collection}", "Compacting collections run after clients connected or left in numbers (TrimMemoryAfterChurn), returning what their handshakes left behind to the OS");
        TimedOut = _meter.CreateCounter<long>("swoolegateway.gateway.timed_out", "{connection}", "Clients closed for idleness or missed pings");
    }

    public Counter<long> MessagesIn { get; }

    public Counter<long> BytesIn { get; }

    public Counter<long> MessagesOut { get; }

    public Counter<long> EventsDropped { get; }

    public Counter<long> EventsHeld { get; }

    public Counter<long> EventsRedelivered { get; }

    public Counter<long> EventsPoisonDropped { get; }

    public Counter<long> ClientsMoved { get; }

    public Counter<long> WorkerWindowsFull { get; }

    public Counter<long> ReadsPaused { get; }

    public Counter<long> ClientWindowsFull { get; }

    public Counter<long> SlowClientsClosed { get; }

    public Counter<long> ClientErrors { get; }

    public Counter<long> SlowClientDrops { get; }

    public Counter<long> MessagesRejected { get; }

    public Counter<long> Throttled { get; }

    public Counter<long> AcceptErrors { get; }

    public Counter<long> TimedOut { get; }

    public Counter<long> MemoryTrims { get; }

    public void Observe(Func<int> connections, Func<int> workers, Func<int> unacknowledged, Func<int> held)
    {
        _meter.CreateObservableGauge("swoolegateway.gateway.connections", connections, "{connection}", "Open client connections");
        _meter.CreateObservableGauge("swoolegateway.gateway.workers", workers, "{worker}", "Connected workers");
        _meter.CreateObservableGauge("swoolegateway.gateway.events_unacknowledged", unacknowledged, "{event}", "Events sent to workers whose handlers have not completed them yet");
        _meter.CreateObservableGauge("swoolegateway.gateway.events_waiting", held, "{event}", "Events held for a worker");
    }
}
