using System.Buffers;
using SwooleGateway.Protocol;

namespace SwooleGateway.Worker.Execution;

/// <summary>
/// One client event waiting for, or running in, its client's handler: what the link's read loop parsed, with the payload
/// copied out of the frame (into a pooled array, which a small item keeps for its next message) so that the handler can
/// run after the read loop has moved on. Pooled: the event path allocates nothing per message.
/// </summary>
internal sealed class EventItem
{
    private const int MaxPooled = 4096;

    /// <summary>Payload arrays up to this size stay with their item for its next message (at most 2 MiB in the pool).</summary>
    private const int KeptPayloadSize = 512;
    private const int MaxPerThread = 64;
    private static readonly Lock s_gate = new();
    private static readonly Stack<EventItem> s_pool = new();

    // Most items go back on the thread that took them (a read's batch runs on the reading thread): a per-thread cache
    // spares both the lock.
    [ThreadStatic]
    private static EventItem[]? t_cache;

    [ThreadStatic]
    private static int t_cached;

    public MessageKind Kind;

    /// <summary>The link's sequence number of this event: what the acknowledgement carries.</summary>
    public ulong Sequence;

    public EventFlags Flags;

    /// <summary>A message's number on its client's connection (0 for other events, or from an older gateway).</summary>
    public ulong Number;

    public IReadOnlyDictionary<string, object?>? Session;

    /// <summary>The payload's bytes (the first <see cref="Length"/>); a pooled array, kept with the item when small.</summary>
    public byte[]? Payload;

    public int Length;

    public ConnectInfo? Connect;

    public CloseInfo? Close;

    /// <summary>The next event of the same client (its queue is a list through this field).</summary>
    public EventItem? Next;

    public static EventItem Rent()
    {
        if (t_cached > 0)
        {
            EventItem cached = t_cache![--t_cached];
            t_cache[t_cached] = null!;
            return cached;
        }

        lock (s_gate)
        {
            if (s_pool.TryPop(out EventItem? item))
            {
                return item;
            }
        }

        return new EventItem();
    }

    /// <summary>A payload array of at least <paramref name="length"/> bytes: the item's own when it is big enough.</summary>
    public byte[] PayloadFor(int length)
    {
        if (Payload is { } kept && kept.Length >= length)
        {
            return kept;
        }

        if (Payload is not null)
        {
            ArrayPool<byte>.Shared.Return(Payload);
        }

        return Payload = ArrayPool<byte>.Shared.Rent(Math.Max(length, 1));
    }

    /// <summary>Gives the item to the pool (with its payload array when that is small, else the array to the shared pool).</summary>
    public void Return()
    {
        if (Payload is { Length: > KeptPayloadSize })
        {
            ArrayPool<byte>.Shared.Return(Payload);
            Payload = null;
        }

        Length = 0;
        Number = 0;
        Session = null;
        Connect = null;
        Close = null;
        Next = null;
        EventItem[] cache = t_cache ??= new EventItem[MaxPerThread];
        if (t_cached < MaxPerThread)
        {
            cache[t_cached++] = this;
            return;
        }

        lock (s_gate)
        {
            if (s_pool.Count < MaxPooled)
            {
                s_pool.Push(this);
            }
        }
    }
}
