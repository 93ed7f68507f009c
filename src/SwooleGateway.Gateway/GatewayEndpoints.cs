using System.Net;

namespace SwooleGateway.Gateway;

/// <summary>
/// Where this process's gateway listens, once it has bound (ports configured as 0 are the real ones here): for an app
/// that hosts a gateway and needs to tell its clients where to connect. Inject it where
/// <c>AddSwooleGatewayGateway()</c> was called.
/// </summary>
public sealed class GatewayEndpoints
{
    private readonly GatewayServer _server;

    internal GatewayEndpoints(GatewayServer server) => _server = server;

    /// <summary>Completes when every listener is bound (faults when binding failed).</summary>
    public Task Ready => _server.Ready;

    /// <summary>This gateway's id (in logs and in the cluster status).</summary>
    public string GatewayId => _server.GatewayId;

    /// <summary>Where workers connect (after <see cref="Ready"/>).</summary>
    public IPEndPoint Internal => _server.InternalEndPoint;

    /// <summary>The internal address announced to registers and in client ids (after <see cref="Ready"/>).</summary>
    public IPEndPoint Advertised => _server.AdvertisedEndPoint;

    /// <summary>The client listeners: name, transport ("websocket" or "tcp") and bound endpoint (after <see cref="Ready"/>).</summary>
    public IReadOnlyList<GatewayListenerEndPoint> Listeners => _server.BoundListeners;
}

/// <summary>A client listener of a gateway, as bound.</summary>
public sealed record GatewayListenerEndPoint(string Name, string Transport, IPEndPoint EndPoint);
