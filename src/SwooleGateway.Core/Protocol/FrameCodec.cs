using System.Buffers;
using System.Buffers.Binary;

namespace SwooleGateway.Protocol;

/// <summary>
/// Framing of the internal protocol (register, gateway and worker links).
/// </summary>
/// <remarks>
/// Wire format (see docs/protocol.md):
/// <code>
/// frame := length:uint32 (big-endian, bytes of body) body[length]
/// body  := MessagePack array [kind:uint, field1, field2, ...]
/// </code>
/// Bodies are written and opened by <see cref="Frame"/>. The length is checked against the configured maximum before
/// the body is awaited.
/// </remarks>
internal static class FrameCodec
{
    public const int HeaderSize = 4;

    /// <summary>
    /// Tries to take one complete frame body off the front of <paramref name="buffer"/>.
    /// Throws <see cref="ProtocolErrorException"/> when the announced length exceeds <paramref name="maxFrameSize"/>.
    /// </summary>
    public static bool TryReadFrame(ref ReadOnlySequence<byte> buffer, int maxFrameSize, out ReadOnlySequence<byte> body)
    {
        if (buffer.Length < HeaderSize)
        {
            body = default;
            return false;
        }

        uint length;
        ReadOnlySpan<byte> first = buffer.FirstSpan;
        if (first.Length >= HeaderSize)
        {
            length = BinaryPrimitives.ReadUInt32BigEndian(first);
        }
        else
        {
            Span<byte> header = stackalloc byte[HeaderSize];
            buffer.Slice(0, HeaderSize).CopyTo(header);
            length = BinaryPrimitives.ReadUInt32BigEndian(header);
        }

        if (length > (uint)maxFrameSize)
        {
            ThrowHelper.FrameTooLarge(length, maxFrameSize);
        }

        if (length == 0)
        {
            ThrowHelper.Protocol("empty frame body");
        }

        if (buffer.Length < HeaderSize + length)
        {
            body = default;
            return false;
        }

        body = buffer.Slice(HeaderSize, length);
        buffer = buffer.Slice(body.End);
        return true;
    }
}
