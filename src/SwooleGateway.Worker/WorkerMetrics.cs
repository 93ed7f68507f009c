using System.Diagnostics.Metrics;

namespace SwooleGateway.Worker;

/// <summary>Worker instruments (meter <c>SwooleGateway.Worker</c>), visible to dotnet-counters and OpenTelemetry.</summary>
internal static class WorkerMetrics
{
    public const string MeterName = "SwooleGateway.Worker";

    private static readonly Meter s_meter = new(MeterName);

    public static readonly Counter<long> EventsHandled = s_meter.CreateCounter<long>("swoolegateway.worker.events", "{event}", "Client events whose handler completed");
    public static readonly Counter<long> EventsRedelivered = s_meter.CreateCounter<long>("swoolegateway.worker.events_redelivered", "{event}", "Client events received flagged as redelivered (their first worker went away before acknowledging them)");
    public static readonly Counter<long> EventsAbandoned = s_meter.CreateCounter<long>("swoolegateway.worker.events_abandoned", "{event}", "Queued events dropped because their gateway link closed before they ran (the gateway redelivers them)");
    public static readonly Counter<long> HandlerErrors = s_meter.CreateCounter<long>("swoolegateway.worker.handler_errors", "{event}", "Handlers that threw");
    public static readonly Counter<long> SlowHandlers = s_meter.CreateCounter<long>("swoolegateway.worker.slow_handlers", "{event}", "Handlers that ran longer than HandlerWarningThreshold");

    public static void Observe(Func<int> running, Func<int> waiting)
    {
        s_meter.CreateObservableGauge("swoolegateway.worker.handlers_active", running, "{client}", "Clients whose handlers run or are queued");
        s_meter.CreateObservableGauge("swoolegateway.worker.clients_waiting", waiting, "{client}", "Clients waiting for a handler slot (MaxConcurrentHandlers)");
    }
}
