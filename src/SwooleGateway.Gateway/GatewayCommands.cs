namespace SwooleGateway.Gateway;

/// <summary>
/// An application command that runs on the gateway (the seed's <c>command_extra_list</c>): workers and
/// GatewayClients call it by name with <c>GatewayApi.CallCommand</c>; the returned bytes (or null) are the reply.
/// Runs on the calling link's read loop until its first await: keep the synchronous part short.
/// </summary>
public delegate ValueTask<byte[]?> GatewayCommandHandler(GatewayCommandContext context, ReadOnlyMemory<byte> payload);

/// <summary>What a custom command handler gets to work with.</summary>
public sealed class GatewayCommandContext
{
    internal GatewayCommandContext(GatewayServer gateway, string callerId)
    {
        Gateway = gateway;
        CallerId = callerId;
    }

    /// <summary>The gateway running the command (client count, tables through its public members).</summary>
    public GatewayServer Gateway { get; }

    /// <summary>Node id of the worker or client that called.</summary>
    public string CallerId { get; }
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
