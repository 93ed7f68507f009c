namespace SwooleGateway.Worker;

/// <summary>Worker settings, section <c>SwooleGateway:Worker</c>.</summary>
public sealed class WorkerOptions
{
    public const string SectionName = "SwooleGateway:Worker";

    /// <summary>Name of this worker in logs and on gateways. Default: machine, process id and a random suffix.</summary>
    public string? Name { get; set; }

    /// <summary>
    /// Labels gateways route by (sent to every gateway when this worker connects): a listener whose
    /// <c>SwooleGateway:Gateway:Routing:ListenerTags</c> names a tag sends its clients only to workers with that tag,
    /// and a custom <c>IEventRouter</c> sees them. Each at most 256 characters; at most 64.
    /// </summary>
    public List<string> Tags { get; set; } = [];

    /// <summary>How long a call that waits for gateways (queries) may take. Default 5 s.</summary>
    public TimeSpan CallTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// After a gateway's link breaks without the gateway saying it is shutting down, cluster-wide queries report it
    /// as missing for this long (its clients may still be connected to it), unless it comes back. Default 10 s.
    /// </summary>
    public TimeSpan MissingGatewayWindow { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Items fetched per round trip when a list query pages through a gateway. Default 1000.</summary>
    public int ListPageSize { get; set; } = 1000;

    /// <summary>On stop, how long to wait for running handlers after telling gateways to send no more events. Default 10 s.</summary>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How many clients' handlers may run at once (a client's events always run one at a time, in order). A handler that
    /// blocks holds one of these, not the worker. 0 (default) = 32 × the number of cores.
    /// </summary>
    public int MaxConcurrentHandlers { get; set; }

    /// <summary>What happens to a client whose handler threw. Default <see cref="HandlerErrorPolicy.Continue"/>.</summary>
    public HandlerErrorPolicy HandlerErrorPolicy { get; set; } = HandlerErrorPolicy.Continue;

    /// <summary>A handler still running after this long is logged as slow, once per occurrence, with its client id. Default 5 s; zero turns it off.</summary>
    public TimeSpan HandlerWarningThreshold { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// After at least this many clients connected or left (and at least a tenth of the clients the worker knows now), once
    /// none has for 2 s plus a random 0–3 s, the worker runs one compacting garbage collection that returns what their
    /// connect events left behind to the OS (at most once per 30 s; a pause that grows with the heap). Without it, an idle
    /// worker keeps that garbage resident after a reconnect storm (about 0.9 KB per client). Default 1,000; 0 turns it
    /// off. In a process that also hosts a gateway, one collection serves both.
    /// </summary>
    public int TrimMemoryAfterChurn { get; set; } = 1000;

    /// <summary>The concurrency limit in effect: <see cref="MaxConcurrentHandlers"/>, or 32 × cores when it is 0.</summary>
    public int EffectiveMaxConcurrentHandlers => MaxConcurrentHandlers > 0 ? MaxConcurrentHandlers : 32 * Environment.ProcessorCount;
}
