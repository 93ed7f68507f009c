namespace SwooleGateway.Worker;

/// <summary>Worker settings, section <c>SwooleGateway:Worker</c>.</summary>
public sealed class WorkerOptions
{
    public const string SectionName = "SwooleGateway:Worker";

    /// <summary>Name of this worker in logs and on gateways. Default: machine, process id and a random suffix.</summary>
    public string? Name { get; set; }

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
}
