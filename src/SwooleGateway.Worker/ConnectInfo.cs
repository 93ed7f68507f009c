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

    /// <summary>WebSocket: the request path, without the query string; null for TCP.</summary>
    public string? Path { get; init; }

    /// <summary>WebSocket: the query string parameters; empty for TCP.</summary>
    public IReadOnlyDictionary<string, string> Query { get; init; } = new Dictionary<string, string>();

    /// <summary>WebSocket: the upgrade request's headers (case-insensitive names); empty for TCP.</summary>
    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();

    /// <summary>WebSocket: the cookies of the upgrade request.</summary>
    public IReadOnlyDictionary<string, string> Cookies => SwooleGateway.Transport.HttpHeaders.ParseCookies(Headers.TryGetValue("Cookie", out string? c) ? c : null);

    /// <summary>WebSocket: the negotiated subprotocol, if any.</summary>
    public string? SubProtocol { get; init; }

    /// <summary>The uid the gateway's authorizer bound, if any.</summary>
    public string? Uid { get; init; }

    /// <summary>The session the gateway's authorizer set, if any.</summary>
    public IReadOnlyDictionary<string, object?>? Session { get; init; }

    /// <summary>True when this connect event was delivered before, to a worker that went away before its handler completed.</summary>
    public bool Redelivered { get; init; }
}
