using System.Buffers;

namespace SwooleGateway.Gateway.Framing;

/// <summary>
/// Messages end with a delimiter (default <c>\n</c>; with exactly <c>\n</c>, a trailing <c>\r</c> is dropped too, so
/// telnet and netcat work). Outbound messages get the delimiter appended.
/// </summary>
internal sealed class DelimiterFramer(byte[] delimiter) : IClientFramer
{
    private readonly byte[] _delimiter = delimiter.Length > 0 ? delimiter : throw new ArgumentException("empty delimiter", nameof(delimiter));

    public ReadOnlySpan<byte> Trailer => _delimiter;

    public FramerStatus TryRead(ref ReadOnlySequence<byte> buffer, int maxMessageSize, out ReadOnlySequence<byte> message, out string? error)
    {
        error = null;
        var reader = new SequenceReader<byte>(buffer);
        if (!reader.TryReadTo(out message, _delimiter, advancePastDelimiter: true))
        {
            if (buffer.Length > maxMessageSize + _delimiter.Length)
            {
                error = $"no delimiter within {maxMessageSize} bytes (MaxFrameSize)";
                return FramerStatus.Invalid;
            }

            return FramerStatus.NeedMoreData;
        }

        if (message.Length > maxMessageSize)
        {
            error = $"message of {message.Length} bytes exceeds MaxFrameSize {maxMessageSize}";
            return FramerStatus.Invalid;
        }

        if (_delimiter is [(byte)'\n'] && !message.IsEmpty && message.Slice(message.Length - 1).FirstSpan[0] == (byte)'\r')
        {
            message = message.Slice(0, message.Length - 1);
        }

        buffer = buffer.Slice(reader.Position);
        return FramerStatus.Message;
    }

    public int WriteHeader(Span<byte> destination, long payloadLength) => 0;
}
