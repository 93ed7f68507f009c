using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using MessagePack;

namespace SwooleGateway.Protocol;

/// <summary>
/// Writes and opens frame bodies (the framing itself, the length prefix, is <see cref="FrameCodec"/>):
/// <code>
/// body    := MessagePack array [kind:uint, fields...]
/// Command := [48, requestId:uint, op:uint, args...]        requestId 0 = no reply wanted
/// Reply   := [49, requestId:uint, status:uint, result...]  status: see ReplyStatus
/// </code>
/// Writers build the frame in a per-thread scratch buffer and count the fields they write; the array header is
/// patched in at the end, so no call site ever states a field count. Nothing is allocated once the thread's buffer has
/// grown. The returned span is valid until the next write on the same thread.
/// </summary>
internal static class Frame
{
    /// <summary>Bytes reserved for the array header: fixarray (up to 15 items) in place, array16 by moving the items.</summary>
    private const int ReservedHeader = 1;

    /// <summary>
    /// A thread keeps its scratch buffer up to this size; a bigger one (a large broadcast built once) is dropped when the
    /// thread builds its next frame, so that no pool thread pins the largest frame it ever built.
    /// </summary>
    internal const int MaxKeptScratch = 64 * 1024;

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_scratch;

    /// <summary>The calling thread's scratch buffer capacity (0 when it has none): for tests.</summary>
    internal static int ScratchCapacity => t_scratch?.Capacity ?? 0;

    public static ReadOnlySpan<byte> Write<T>(scoped in T message) where T : struct, IFrameMessage<T>
    {
        FieldWriter w = Begin(out ArrayBufferWriter<byte> scratch);
        w.UInt((uint)T.Kind);
        message.Write(ref w);
        return End(scratch, ref w);
    }

    /// <summary>A Command frame: <c>[48, requestId, op, args...]</c>.</summary>
    public static ReadOnlySpan<byte> WriteCommand<TCommand, TResult>(uint requestId, scoped in TCommand command)
        where TCommand : struct, ICommand<TCommand, TResult>
        where TResult : struct, IWireFields<TResult>
    {
        FieldWriter w = Begin(out ArrayBufferWriter<byte> scratch);
        w.UInt((uint)MessageKind.Command);
        w.UInt(requestId);
        w.UInt(TCommand.Op);
        command.Write(ref w);
        return End(scratch, ref w);
    }

    /// <summary>A Reply frame: <c>[49, requestId, status, result...]</c>; the result only when the status is Ok.</summary>
    public static ReadOnlySpan<byte> WriteReply<TResult>(uint requestId, scoped in TResult result) where TResult : struct, IWireFields<TResult>
    {
        FieldWriter w = Begin(out ArrayBufferWriter<byte> scratch);
        w.UInt((uint)MessageKind.Reply);
        w.UInt(requestId);
        w.UInt((uint)ReplyStatus.Ok);
        result.Write(ref w);
        return End(scratch, ref w);
    }

    /// <summary>A Reply frame that refuses the command: <c>[49, requestId, status]</c>.</summary>
    public static ReadOnlySpan<byte> WriteRefusal(uint requestId, ReplyStatus status)
    {
        FieldWriter w = Begin(out ArrayBufferWriter<byte> scratch);
        w.UInt((uint)MessageKind.Reply);
        w.UInt(requestId);
        w.UInt((uint)status);
        return End(scratch, ref w);
    }

    /// <summary>Reads the array header and kind of a body; the reader is then positioned at the first field.</summary>
    public static FieldReader Open(in ReadOnlySequence<byte> body)
    {
        var reader = new MessagePackReader(body);
        int count = reader.ReadArrayHeader();
        if (count < 1)
        {
            ThrowHelper.Protocol("frame body is an empty array");
        }

        var kind = (MessageKind)reader.ReadUInt32();
        return new FieldReader(reader, count - 1, kind);
    }

    /// <summary>Reads <typeparamref name="T"/> and skips whatever fields a newer sender appended.</summary>
    public static T Read<T>(ref FieldReader reader) where T : struct, IWireFields<T>
    {
        T value = T.Read(ref reader);
        reader.SkipRest();
        return value;
    }

    /// <summary>The fields after the kind of a Command frame: its request id and op.</summary>
    public static (uint RequestId, uint Op) ReadCommandHeader(ref FieldReader reader) => (reader.UInt(), reader.UInt());

    /// <summary>The fields after the kind of a Reply frame: its request id and status.</summary>
    public static (uint RequestId, ReplyStatus Status) ReadReplyHeader(ref FieldReader reader) => (reader.UInt(), (ReplyStatus)reader.UInt());

    private static FieldWriter Begin(out ArrayBufferWriter<byte> scratch)
    {
        ArrayBufferWriter<byte>? kept = t_scratch;
        if (kept is null || kept.Capacity > MaxKeptScratch)
        {
            t_scratch = kept = new ArrayBufferWriter<byte>(512); // the previous frame's span is dead by contract
        }

        scratch = kept;

        scratch.ResetWrittenCount();
        scratch.GetSpan(FrameCodec.HeaderSize + ReservedHeader);
        scratch.Advance(FrameCodec.HeaderSize + ReservedHeader);
        return new FieldWriter(scratch);
    }

    private static ReadOnlySpan<byte> End(ArrayBufferWriter<byte> scratch, scoped ref FieldWriter w)
    {
        w.Flush();
        int count = w.Count;
        const int itemsAt = FrameCodec.HeaderSize + ReservedHeader;
        if (count > 15)
        {
            // More than a fixarray holds: array16 takes two more bytes, so the items move right by two.
            int itemsLength = scratch.WrittenCount - itemsAt;
            scratch.GetSpan(2);
            scratch.Advance(2);
            Span<byte> grown = MemoryMarshal.AsMemory(scratch.WrittenMemory).Span;
            grown.Slice(itemsAt, itemsLength).CopyTo(grown[(itemsAt + 2)..]);
            grown[FrameCodec.HeaderSize] = MessagePackCode.Array16;
            BinaryPrimitives.WriteUInt16BigEndian(grown[(FrameCodec.HeaderSize + 1)..], (ushort)count);
        }

        Span<byte> frame = MemoryMarshal.AsMemory(scratch.WrittenMemory).Span;
        if (count <= 15)
        {
            frame[FrameCodec.HeaderSize] = (byte)(MessagePackCode.MinFixArray | count);
        }

        BinaryPrimitives.WriteUInt32BigEndian(frame, (uint)(frame.Length - FrameCodec.HeaderSize));
        return frame;
    }
}
