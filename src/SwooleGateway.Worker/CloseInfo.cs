namespace SwooleGateway.Worker;

/// <summary>What a client had when it closed.</summary>
public sealed class CloseInfo
{
    public IReadOnlyDictionary<string, object?>? Session { get; init; }

    public string? Uid { get; init; }

    public IReadOnlyList<string> Groups { get; init; } = [];

    /// <summary>True when this close event was delivered before, to a worker that went away before its handler completed.</summary>
    public bool Redelivered { get; init; }
}
