using System.Diagnostics.Metrics;

namespace SwooleGateway.Gateway;

/// <summary>Gateway instruments (meter <c>SwooleGateway.Gateway</c>), visible to dotnet-counters and OpenTelemetry.</summary>
internal static class GatewayMetrics
{
    public const string MeterName = "SwooleGateway.Gateway";

    private static readonly Meter s_meter = new(MeterName);

    public static readonly Counter<long> MessagesIn = s_meter.CreateCounter<long>("swoolegateway.gateway.messages_in", "{message}", "Client messages received");
    public static readonly Counter<long> BytesIn = s_meter.CreateCounter<long>("swoolegateway.gateway.bytes_in", "By", "Client payload bytes received");
    public static readonly Counter<long> MessagesOut = s_meter.CreateCounter<long>("swoolegateway.gateway.messages_out", "{message}", "Messages queued to clients");
    public static readonly Counter<long> EventsDropped = s_meter.CreateCounter<long>("swoolegateway.gateway.events_dropped", "{event}", "Client events dropped: no worker connected within HoldEventsFor, or HoldEventsWithoutWorker events were held already");
    public static readonly Counter<long> EventsHeld = s_meter.CreateCounter<long>("swoolegateway.gateway.events_held", "{event}", "Client events held: no worker connected, or waiting for a stopping or lost worker to settle the client's earlier events");
    public static readonly Counter<long> EventsRedelivered = s_meter.CreateCounter<long>("swoolegateway.gateway.events_redelivered", "{event}", "Events a worker did not acknowledge before its link closed, sent again to another worker");
    public static readonly Counter<long> ClientsMoved = s_meter.CreateCounter<long>("swoolegateway.gateway.clients_moved", "{connection}", "Clients whose events moved to another worker because the router placed them elsewhere (their key changed, or a worker joined)");
    public static readonly Counter<long> WorkerWindowsFull = s_meter.CreateCounter<long>("swoolegateway.gateway.worker_windows_full", "{episode}", "Times a worker reached MaxUnackedEventsPerWorker or MaxUnackedBytesPerWorker");
    public static readonly Counter<long> ReadsPaused = s_meter.CreateCounter<long>("swoolegateway.gateway.reads_paused", "{pause}", "Client reads paused because their worker's window of unacknowledged events was full");
    public static readonly Counter<long> SlowClientsClosed = s_meter.CreateCounter<long>("swoolegateway.gateway.slow_clients_closed", "{connection}", "Clients closed because their outbound queue was full");
    public static readonly Counter<long> ClientErrors = s_meter.CreateCounter<long>("swoolegateway.gateway.client_protocol_errors", "{connection}", "Clients closed for bad input");

    public static readonly Counter<long> SlowClientDrops = s_meter.CreateCounter<long>("swoolegateway.gateway.slow_client_drops", "{message}", "Messages dropped for slow clients (DropNewest/DropOldest)");
    public static readonly Counter<long> MessagesRejected = s_meter.CreateCounter<long>("swoolegateway.gateway.messages_rejected", "{message}", "Messages skipped because the listener's framing cannot carry them (too long for its length prefix)");
    public static readonly Counter<long> Throttled = s_meter.CreateCounter<long>("swoolegateway.gateway.throttled", "{message}", "Client messages over the per-IP throttle");
    public static readonly Counter<long> AcceptErrors = s_meter.CreateCounter<long>("swoolegateway.gateway.accept_errors", "{error}", "Failed accepts on the gateway's listeners (for example file descriptors exhausted); the listener backs off");
    public static readonly Counter<long> TimedOut = s_meter.CreateCounter<long>("swoolegateway.gateway.timed_out", "{connection}", "Clients closed for idleness or missed pings");

    public static void Observe(Func<int> connections, Func<int> workers, Func<int> unacknowledged, Func<int> held)
    {
        s_meter.CreateObservableGauge("swoolegateway.gateway.connections", connections, "{connection}", "Open client connections");
        s_meter.CreateObservableGauge("swoolegateway.gateway.workers", workers, "{worker}", "Connected workers");
        s_meter.CreateObservableGauge("swoolegateway.gateway.events_unacknowledged", unacknowledged, "{event}", "Events sent to workers whose handlers have not completed them yet");
        s_meter.CreateObservableGauge("swoolegateway.gateway.events_waiting", held, "{event}", "Events held for a worker");
    }
}
