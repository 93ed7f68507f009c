using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using MessagePack;

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
/// Readers ignore trailing array items they do not know, so a newer peer may append fields.
/// The length is checked against the configured maximum before the body is awaited.
/// </remarks>
internal static class FrameCodec
{
    public const int HeaderSize = 4;

    [ThreadStatic] private static ArrayBufferWriter<byte>? s_scratch;

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

    /// <summary>
    /// Starts a frame in a per-thread scratch buffer: the header is reserved, the caller writes the body
    /// (usually with a <see cref="MessagePackWriter"/>) and then calls <see cref="EndFrame"/> on the same
    /// thread without awaiting in between. Allocates nothing once the thread's buffer has grown.
    /// </summary>
    public static ArrayBufferWriter<byte> BeginFrame()
    {
        ArrayBufferWriter<byte> scratch = s_scratch ??= new ArrayBufferWriter<byte>(512);
        scratch.ResetWrittenCount();
        scratch.GetSpan(HeaderSize);
        scratch.Advance(HeaderSize);
        return scratch;
    }

    /// <summary>Patches the length into the header and returns the whole frame (valid until the next BeginFrame on this thread).</summary>
    public static ReadOnlySpan<byte> EndFrame(ArrayBufferWriter<byte> scratch)
    {
        Span<byte> frame = MemoryMarshal.AsMemory(scratch.WrittenMemory).Span;
        BinaryPrimitives.WriteUInt32BigEndian(frame, (uint)(frame.Length - HeaderSize));
        return frame;
    }

    /// <summary>Reads the array header and kind of a body. Throws on malformed MessagePack.</summary>
    public static MessageKind ReadKind(ref MessagePackReader reader, out int fieldCount)
    {
        int count = reader.ReadArrayHeader();
        if (count < 1)
        {
            ThrowHelper.Protocol("frame body is an empty array");
        }

        fieldCount = count - 1;
        return (MessageKind)reader.ReadUInt32();
    }
}
