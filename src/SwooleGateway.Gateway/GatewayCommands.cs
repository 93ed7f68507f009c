namespace SwooleGateway.Gateway;

/// <summary>
/// An application command that runs on the gateway (the seed's <c>command_extra_list</c>): workers and
/// GatewayClients call it by name with <c>GatewayApi.CallCommand</c>; the returned bytes (or null) are the reply.
/// Runs on the calling link's read loop until its first await: keep the synchronous part short.
/// </summary>
public delegate ValueTask<byte[]?> GatewayCommandHandler(GatewayCommandContext context, ReadOnlyMemory<byte> payload);

/// <summary>What a custom command handler gets to know: who called, and this gateway's identity and load. Read-only.</summary>
public sealed class GatewayCommandContext
{
    internal GatewayCommandContext(string callerId, string gatewayId, int clientCount, int workerCount)
    {
        CallerId = callerId;
        GatewayId = gatewayId;
        ClientCount = clientCount;
        WorkerCount = workerCount;
    }

    /// <summary>Node id of the worker or client that called.</summary>
    public string CallerId { get; }

    /// <summary>The id this gateway announces to the registers.</summary>
    public string GatewayId { get; }

    /// <summary>Clients connected to this gateway when the command started.</summary>
    public int ClientCount { get; }

    /// <summary>Workers connected to this gateway when the command started.</summary>
    public int WorkerCount { get; }
}

/// <summary>The registered custom commands by name (case-sensitive).</summary>
public sealed class GatewayCommandOptions
{
    public Dictionary<string, GatewayCommandHandler> Handlers { get; } = new(StringComparer.Ordinal);
}

/// <summary>Custom TCP framers by name (<c>AddSwooleGatewayFramer</c>).</summary>
public sealed class GatewayFramerOptions
{
    public Dictionary<string, Func<Framing.IClientFramer>> Framers { get; } = new(StringComparer.Ordinal);
}
