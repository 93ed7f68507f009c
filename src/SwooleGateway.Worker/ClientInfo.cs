using SwooleGateway.Protocol;

namespace SwooleGateway.Worker;

/// <summary>What <see cref="GatewayApi.GetClientInfo"/> returns; fields not asked for are null.</summary>
public sealed class ClientInfo
{
    public required string ClientId { get; init; }

    public string? RemoteAddress { get; init; }

    public int? RemotePort { get; init; }

    public string? Uid { get; init; }

    public IReadOnlyDictionary<string, object?>? Session { get; init; }

    public IReadOnlyList<string>? Groups { get; init; }

    /// <summary><c>websocket</c> or <c>tcp</c> (System).</summary>
    public string? Transport { get; init; }

    /// <summary>Name of the gateway listener (System).</summary>
    public string? Listener { get; init; }

    /// <summary>When the client connected (System).</summary>
    public DateTimeOffset? ConnectedAt { get; init; }

    public long? BytesIn { get; init; }

    public long? BytesOut { get; init; }

    public long? MessagesIn { get; init; }

    public long? MessagesOut { get; init; }
}
