using System.Buffers;

namespace SwooleGateway.Gateway.Framing;

/// <summary>
/// The stream as it comes: whatever one read delivers is one message (up to MaxFrameSize; more is split).
/// Outbound messages are written as they are. For protocols the application parses itself.
/// </summary>
internal sealed class RawFramer : IClientFramer
{
    public ReadOnlySpan<byte> Trailer => default;

    public FramerStatus TryRead(ref ReadOnlySequence<byte> buffer, int maxMessageSize, out ReadOnlySequence<byte> message, out string? error)
    {
        error = null;
        if (buffer.IsEmpty)
        {
            message = default;
            return FramerStatus.NeedMoreData;
        }

        message = buffer.Slice(0, Math.Min(buffer.Length, maxMessageSize));
        buffer = buffer.Slice(message.End);
        return FramerStatus.Message;
    }

    public int WriteHeader(Span<byte> destination, long payloadLength) => 0;
}
