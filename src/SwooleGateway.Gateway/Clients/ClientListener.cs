using System.Buffers;
using SwooleGateway.Transport;

namespace SwooleGateway.Gateway.Clients;

/// <summary>Receives what a client listener parses. Called on the connection's read loop.</summary>
internal interface IClientMessageSink
{
    /// <summary>One complete client message; <paramref name="payload"/> is valid only during the call.</summary>
    void OnClientMessage(ClientConnection connection, in ReadOnlySequence<byte> payload, bool text);
}

/// <summary>The result of parsing client bytes.</summary>
internal readonly record struct ParseResult(ushort CloseCode, string? Reason, bool PeerClosed)
{
    public static readonly ParseResult Continue = default;

    public bool ShouldClose => CloseCode != 0 || PeerClosed;

    public static ParseResult Error(ushort code, string reason) => new(code, reason, false);
}

/// <summary>
/// A client protocol bound to one listener: handshake, framing in both directions. One instance per
/// listener; per-connection state lives on <see cref="ClientConnection"/>.
/// </summary>
internal abstract class ClientListener
{
    protected ClientListener(ListenerOptions options, GatewayOptions gateway)
    {
        Options = options;
        Gateway = gateway;
        Name = options.DisplayName;
        Certificates = options.Tls is { } tls ? new Tls.CertificateSource(tls) : null;
    }

    /// <summary>The listener's certificate when it speaks TLS.</summary>
    public Tls.CertificateSource? Certificates { get; }

    public ListenerOptions Options { get; }

    public GatewayOptions Gateway { get; }

    public string Name { get; }

    /// <summary>"websocket" or "tcp", reported to workers.</summary>
    public abstract string Transport { get; }

    /// <summary>
    /// Runs the protocol handshake and the application's <paramref name="authorizer"/>. Returns what is known about
    /// the client and the decision; or an error (the caller closes; the error says why for the log).
    /// </summary>
    public abstract Task<(ClientHandshake? Handshake, HandshakeDecision Decision, string? Error)> HandshakeAsync(
        ClientConnection connection, ClientAuthorizer? authorizer, CancellationToken cancellationToken);

    /// <summary>
    /// Asks the application's authorizer (accepts when there is none), within what is left of the handshake deadline
    /// (<paramref name="cancellationToken"/>): an authorizer that never answers (a hung identity service) must not keep
    /// the connection, its per-IP slot and the gateway's shutdown waiting. Its task is left to finish on its own.
    /// </summary>
    protected static async ValueTask<HandshakeDecision> AuthorizeAsync(ClientAuthorizer? authorizer, ClientHandshake handshake, CancellationToken cancellationToken)
    {
        if (authorizer is null)
        {
            return HandshakeDecision.Accept();
        }

        ValueTask<HandshakeDecision> pending = authorizer(handshake);
        if (pending.IsCompleted)
        {
            return pending.Result;
        }

        try
        {
            return await pending.AsTask().WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw new AuthorizerTimeoutException();
        }
    }

    /// <summary>The authorizer did not decide before the handshake deadline.</summary>
    internal sealed class AuthorizerTimeoutException() : OperationCanceledException("the authorizer did not decide within HandshakeTimeout");

    /// <summary>Consumes every complete message at the front of <paramref name="buffer"/>; <paramref name="state"/> is the read loop's own.</summary>
    public abstract ParseResult Parse(ClientConnection connection, ref ClientReadState state, ref ReadOnlySequence<byte> buffer, IClientMessageSink sink);

    /// <summary>
    /// Frames and queues one outbound message. <paramref name="text"/> selects a WebSocket text frame; with
    /// <paramref name="defer"/> the caller flushes later (see <see cref="OutboundWriter.TryWrite(ReadOnlySpan{byte}, in ReadOnlySequence{byte}, ReadOnlySpan{byte}, bool)"/>).
    /// </summary>
    public abstract WriteResult Send(ClientConnection connection, in ReadOnlySequence<byte> payload, bool text, bool defer = false);

    /// <summary>Queues the protocol's close notice (WebSocket close frame); TCP has none.</summary>
    public virtual void WriteClose(ClientConnection connection, ushort code, string reason)
    {
    }

    /// <summary>Sends the listener's keep-alive ping (WebSocket ping frame, or the TCP PingData message).</summary>
    public abstract void SendPing(ClientConnection connection);
}
