using System.Diagnostics.Metrics;

namespace SwooleGateway.Worker;

/// <summary>
/// A worker's instruments, on the meter <c>SwooleGateway.Worker</c> created through the host's <see cref="IMeterFactory"/>
/// (one per worker; nothing static). Visible to dotnet-counters and OpenTelemetry. Also keeps the totals the status
/// report needs.
/// </summary>
internal sealed class WorkerMetrics
{
    public const string MeterName = "SwooleGateway.Worker";

    private readonly Meter _meter;

    /// <summary>Handlers that threw, since start (for the status report).</summary>
    public long HandlerErrorsTotal;

    /// <summary>Events received flagged as redelivered, since start (for the status report).</summary>
    public long RedeliveredTotal;

    /// <summary>Clients that connected or left (their state created or dropped), since start (for the memory trimmer).</summary>
    public long ClientChurn;

    public WorkerMetrics(IMeterFactory? factory)
    {
        _meter = factory?.Create(MeterName) ?? new Meter(MeterName);
        EventsHandled = _meter.CreateCounter<long>("swoolegateway.worker.events", "{event}", "Client events whose handler completed");
        EventsRedelivered = _meter.CreateCounter<long>("swoolegateway.worker.events_redelivered", "{event}", "Client events received flagged as redelivered (their first worker went away before acknowledging them)");
        EventsAbandoned = _meter.CreateCounter<long>("swoolegateway.worker.events_abandoned", "{event}", "Queued events dropped because their gateway link closed before they ran (the gateway redelivers them)");
        HandlerErrors = _meter.CreateCounter<long>("swoolegateway.worker.handler_errors", "{event}", "Handlers that threw");
        SlowHandlers = _meter.CreateCounter<long>("swoolegateway.worker.slow_handlers", "{event}", "Handlers that ran longer than HandlerWarningThreshold");
        MemoryTrims = _meter.CreateCounter<long>("swoolegateway.worker.memory_trims", "{collection}", "Compacting collections run after clients connected or left in numbers (TrimMemoryAfterChurn), returning what their connect events left behind to the OS");
        HandlerDuration = _meter.CreateHistogram("swoolegateway.worker.handler.duration", "s", "How long handlers ran, from the call to completion (awaits included)",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.00001, 0.00005, 0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10] });
    }

    public Counter<long> EventsHandled { get; }

    public Counter<long> EventsRedelivered { get; }

    public Counter<long> EventsAbandoned { get; }

    public Counter<long> HandlerErrors { get; }

    public Counter<long> SlowHandlers { get; }

    public Counter<long> MemoryTrims { get; }

    /// <summary>Handler durations in seconds; recorded only while something listens (<see cref="Instrument.Enabled"/>).</summary>
    public Histogram<double> HandlerDuration { get; }

    public void Observe(Func<int> running, Func<int> waiting, Func<IEnumerable<Measurement<long>>> queueDepths)
    {
        _meter.CreateObservableGauge("swoolegateway.worker.handlers_active", running, "{client}", "Clients whose handlers run or are queued");
        _meter.CreateObservableGauge("swoolegateway.worker.clients_waiting", waiting, "{client}", "Clients waiting for a handler slot (MaxConcurrentHandlers)");
        _meter.CreateObservableGauge("swoolegateway.worker.queue_depth", queueDepths, "{event}",
            "Events received from a gateway whose handlers have not completed yet, per gateway (tag swoolegateway.gateway)");
    }
}
