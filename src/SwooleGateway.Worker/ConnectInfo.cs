namespace SwooleGateway.Worker;

/// <summary>What the gateway knows of a client when it connects.</summary>
public sealed class ConnectInfo
{
    public required string RemoteAddress { get; init; }

    public required int RemotePort { get; init; }

    /// <summary>The gateway listener's name (for example <c>ws</c> or <c>tcp</c>).</summary>
    public required string Listener { get; init; }

    /// <summary><c>websocket</c> or <c>tcp</c>.</summary>
    public required string Transport { get; init; }

    /// <summary>WebSocket: the request target (path and query string); null for TCP.</summary>
    public string? Path { get; init; }

    /// <summary>WebSocket: the upgrade request's headers (case-insensitive names); empty for TCP.</summary>
    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();
}

/// <summary>What a client had when it closed.</summary>
public sealed class CloseInfo
{
    public IReadOnlyDictionary<string, object?>? Session { get; init; }

    public string? Uid { get; init; }

    public IReadOnlyList<string> Groups { get; init; } = [];
}
