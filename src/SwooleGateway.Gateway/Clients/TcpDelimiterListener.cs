using System.Buffers;
using SwooleGateway.Transport;

namespace SwooleGateway.Gateway.Clients;

/// <summary>
/// Raw TCP where every message ends with a delimiter (default <c>\n</c>; with <c>\n</c>, a trailing <c>\r</c>
/// is dropped too, so telnet and netcat clients work). Outbound messages get the delimiter appended.
/// </summary>
internal sealed class TcpDelimiterListener : ClientListener
{
    private readonly byte[] _delimiter;

    public TcpDelimiterListener(ListenerOptions options, GatewayOptions gateway) : base(options, gateway)
    {
        _delimiter = options.DelimiterBytes();
    }

    public override string Transport => "tcp";

    public override Task<(WebSocketHandshake.Request? Request, string? Error)> HandshakeAsync(ClientConnection connection, CancellationToken cancellationToken) =>
        Task.FromResult<(WebSocketHandshake.Request?, string?)>((null, null));

    public override ParseResult Parse(ClientConnection connection, ref ReadOnlySequence<byte> buffer, IClientMessageSink sink)
    {
        int max = Gateway.MaxFrameSize;
        var reader = new SequenceReader<byte>(buffer);
        while (true)
        {
            SequencePosition start = reader.Position;
            if (!reader.TryReadTo(out ReadOnlySequence<byte> message, _delimiter, advancePastDelimiter: true))
            {
                break;
            }

            if (message.Length > max)
            {
                buffer = buffer.Slice(start);
                return ParseResult.Error(1009, $"message of {message.Length} bytes exceeds MaxFrameSize {max}");
            }

            if (_delimiter is [(byte)'\n'] && !message.IsEmpty && EndsWithCarriageReturn(message))
            {
                message = message.Slice(0, message.Length - 1);
            }

            sink.OnClientMessage(connection, message, text: false);
        }

        buffer = buffer.Slice(reader.Position);
        if (buffer.Length > max + _delimiter.Length)
        {
            return ParseResult.Error(1009, $"no delimiter within {max} bytes (MaxFrameSize)");
        }

        return ParseResult.Continue;
    }

    public override WriteResult Send(ClientConnection connection, in ReadOnlySequence<byte> payload, bool text) =>
        connection.Writer.TryWrite(default, payload, _delimiter);

    private static bool EndsWithCarriageReturn(in ReadOnlySequence<byte> message) =>
        message.Slice(message.Length - 1).FirstSpan[0] == (byte)'\r';
}
