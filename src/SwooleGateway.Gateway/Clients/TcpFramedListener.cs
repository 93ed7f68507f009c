using System.Buffers;
using SwooleGateway.Gateway.Framing;
using SwooleGateway.Transport;

namespace SwooleGateway.Gateway.Clients;

/// <summary>Raw TCP cut into messages by the listener's <see cref="IClientFramer"/> (delimiter, length prefix, raw or custom).</summary>
internal sealed class TcpFramedListener : ClientListener
{
    private readonly Func<IClientFramer> _framerFactory;
    private readonly IClientFramer? _shared;
    private readonly ReadOnlySequence<byte> _ping;

    public TcpFramedListener(ListenerOptions options, GatewayOptions gateway, Func<IClientFramer> framerFactory, bool statelessFramer)
        : base(options, gateway)
    {
        _framerFactory = framerFactory;
        _shared = statelessFramer ? framerFactory() : null; // built-in framers keep no per-connection state
        _ping = string.IsNullOrEmpty(options.PingData) ? default : new ReadOnlySequence<byte>(ListenerOptions.Unescape(options.PingData));
    }

    public override string Transport => "tcp";

    public override async Task<(ClientHandshake? Handshake, HandshakeDecision Decision, string? Error)> HandshakeAsync(
        ClientConnection connection, ClientAuthorizer? authorizer, CancellationToken cancellationToken)
    {
        if (_shared is null)
        {
            connection.Framer = _framerFactory(); // before the client is visible to anyone: senders frame with it too
        }

        var handshake = new ClientHandshake { Listener = Name, Transport = Transport, RemoteEndPoint = connection.Remote };
        HandshakeDecision decision = await AuthorizeAsync(authorizer, handshake, cancellationToken).ConfigureAwait(false);
        return decision.Accepted ? (handshake, decision, null) : (null, decision, $"refused by the authorizer: {decision.Reason}");
    }

    private IClientFramer FramerOf(ClientConnection connection) => _shared ?? connection.Framer!;

    public override ParseResult Parse(ClientConnection connection, ref ClientReadState state, ref ReadOnlySequence<byte> buffer, IClientMessageSink sink)
    {
        IClientFramer framer = FramerOf(connection);
        while (true)
        {
            switch (framer.TryRead(ref buffer, Gateway.MaxFrameSize, out ReadOnlySequence<byte> message, out string? error))
            {
                case FramerStatus.Message:
                    sink.OnClientMessage(connection, message, text: false);
                    if (connection.IsClosing)
                    {
                        return ParseResult.Continue;
                    }

                    break;
                case FramerStatus.NeedMoreData:
                    return ParseResult.Continue;
                default:
                    return ParseResult.Error(1009, error ?? "invalid frame");
            }
        }
    }

    public override void SendPing(ClientConnection connection)
    {
        if (!_ping.IsEmpty)
        {
            Send(connection, _ping, text: false);
        }
    }

    public override WriteResult Send(ClientConnection connection, in ReadOnlySequence<byte> payload, bool text, bool defer = false)
    {
        IClientFramer framer = FramerOf(connection);
        Span<byte> header = stackalloc byte[16];
        int n;
        try
        {
            n = framer.WriteHeader(header, payload.Length);
        }
        catch (InvalidOperationException)
        {
            return WriteResult.Rejected; // does not fit this framing (for example 300 bytes with a 1-byte prefix)
        }

        return connection.Writer.TryWrite(header[..n], payload, framer.Trailer, defer);
    }
}
