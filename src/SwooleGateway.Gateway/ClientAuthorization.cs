using System.Net;

namespace SwooleGateway.Gateway;

/// <summary>
/// Decides whether a client may connect, before it is accepted (for WebSocket: before the 101 response, so a
/// refused browser sees the HTTP status). Register with <c>services.AddSwooleGatewayAuthorizer(...)</c>.
/// Runs on the gateway; keep it fast (verify a token signature, look at the IP), or bounded by the handshake timeout.
/// </summary>
public delegate ValueTask<HandshakeDecision> ClientAuthorizer(ClientHandshake handshake);

/// <summary>What is known about a client before it is accepted.</summary>
public sealed class ClientHandshake
{
    public required string Listener { get; init; }

    /// <summary><c>websocket</c> or <c>tcp</c>.</summary>
    public required string Transport { get; init; }

    public IPEndPoint? RemoteEndPoint { get; init; }

    /// <summary>WebSocket: the path without the query string; null for TCP.</summary>
    public string? Path { get; init; }

    /// <summary>WebSocket: query string parameters (last value wins); empty for TCP.</summary>
    public IReadOnlyDictionary<string, string> Query { get; init; } = new Dictionary<string, string>();

    /// <summary>WebSocket: request headers (case-insensitive names); empty for TCP.</summary>
    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();

    /// <summary>WebSocket: cookies from the Cookie header; empty for TCP.</summary>
    public IReadOnlyDictionary<string, string> Cookies { get; init; } = new Dictionary<string, string>();

    /// <summary>WebSocket: the negotiated subprotocol, if any.</summary>
    public string? SubProtocol { get; init; }
}

/// <summary>Accept (optionally binding a uid and setting a session before the first event) or reject with a status.</summary>
public readonly struct HandshakeDecision
{
    private HandshakeDecision(bool accepted, int status, string? reason, string? uid, IReadOnlyDictionary<string, object?>? session)
    {
        Accepted = accepted;
        Status = status;
        Reason = reason;
        Uid = uid;
        Session = session;
    }

    public bool Accepted { get; }

    /// <summary>The HTTP status a refused WebSocket client gets (for example 401 or 403).</summary>
    public int Status { get; }

    public string? Reason { get; }

    public string? Uid { get; }

    public IReadOnlyDictionary<string, object?>? Session { get; }

    public static HandshakeDecision Accept(string? uid = null, IReadOnlyDictionary<string, object?>? session = null) => new(true, 101, null, uid, session);

    public static HandshakeDecision Reject(int status = 403, string reason = "Forbidden") => new(false, status, reason, null, null);
}

/// <summary>The registered authorizer, if any.</summary>
public sealed class GatewayAuthorizationOptions
{
    public ClientAuthorizer? Authorizer { get; set; }
}
