using System.Buffers;
using SwooleGateway.Protocol;

namespace SwooleGateway.Worker.Execution;

/// <summary>
/// One client event waiting for, or running in, its client's handler: what the link's read loop parsed, with the payload
/// copied out of the frame (into a pooled array) so that the handler can run after the read loop has moved on. Pooled:
/// the event path allocates nothing per message.
/// </summary>
internal sealed class EventItem
{
    private const int MaxPooled = 4096;
    private static readonly Lock s_gate = new();
    private static readonly Stack<EventItem> s_pool = new();

    public MessageKind Kind;

    /// <summary>The link's sequence number of this event: what the acknowledgement carries.</summary>
    public ulong Sequence;

    public EventFlags Flags;

    public IReadOnlyDictionary<string, object?>? Session;

    public byte[]? Payload;

    public int Length;

    public ConnectInfo? Connect;

    public CloseInfo? Close;

    /// <summary>The next event of the same client (its queue is a list through this field).</summary>
    public EventItem? Next;

    public static EventItem Rent()
    {
        lock (s_gate)
        {
            if (s_pool.TryPop(out EventItem? item))
            {
                return item;
            }
        }

        return new EventItem();
    }

    /// <summary>Gives the payload back and the item to the pool.</summary>
    public void Return()
    {
        if (Payload is not null)
        {
            ArrayPool<byte>.Shared.Return(Payload);
        }

        Payload = null;
        Session = null;
        Connect = null;
        Close = null;
        Next = null;
        lock (s_gate)
        {
            if (s_pool.Count < MaxPooled)
            {
                s_pool.Push(this);
            }
        }
    }
}
