using System.Buffers;
using SwooleGateway.Protocol;
using SwooleGateway.Transport;

namespace SwooleGateway.Gateway.Routing;

/// <summary>
/// A client event kept as its encoded frame (in a pooled array): one a worker has not acknowledged yet, or one waiting
/// for a worker. <see cref="Redelivered"/>: a worker had it and went away before acknowledging it. <see cref="Since"/>:
/// when it started waiting for a worker (<see cref="Environment.TickCount64"/>; 0 while a worker has it).
/// <see cref="Losses"/>: how many workers went away while it was its client's oldest unfinished event.
/// </summary>
internal readonly record struct HeldEvent(MessageKind Kind, byte[] Buffer, int Length, bool Redelivered, long Since, byte Losses = 0)
{
    /// <summary>Copies a frame (from <see cref="Frame"/>) into a pooled array.</summary>
    public static HeldEvent Copy(MessageKind kind, ReadOnlySpan<byte> frame, bool redelivered)
    {
        byte[] buffer = BufferPool.Rent(frame.Length);
        frame.CopyTo(buffer);
        return new HeldEvent(kind, buffer, frame.Length, redelivered, Environment.TickCount64);
    }

    /// <summary>The frame's body (after its length prefix), to read it again.</summary>
    public ReadOnlySequence<byte> Body => new(Buffer, FrameCodec.HeaderSize, Length - FrameCodec.HeaderSize);

    /// <summary>The event as it goes back to be redelivered; <paramref name="lost"/>: it was its client's oldest unfinished one on the worker that went away.</summary>
    public HeldEvent AsRedelivered(bool lost) =>
        this with { Redelivered = true, Since = Environment.TickCount64, Losses = lost ? (byte)Math.Min(Losses + 1, byte.MaxValue) : Losses };

    public void Release() => BufferPool.Return(Buffer);
}
