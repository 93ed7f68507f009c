namespace SwooleGateway.Protocol.Messages;

/// <summary>
/// Worker → gateway: the handlers of these events (sequence numbers of this link) have completed. <c>ranges</c> holds pairs
/// <c>first, last</c> (inclusive), ascending. One frame covers whatever completed since the last one, so acknowledgements
/// cost one small frame per batch of events, not one per event.
/// </summary>
internal readonly record struct EventAckFrame(ULongList Ranges) : IFrameMessage<EventAckFrame>
{
    public static MessageKind Kind => MessageKind.EventAck;

    public static string Schema => "ranges:[u64]";

    public void Write(ref FieldWriter writer) => writer.ULongs(Ranges);

    public static EventAckFrame Read(ref FieldReader reader)
    {
        ULongList ranges = reader.ULongs();
        if (ranges.Count % 2 != 0)
        {
            ThrowHelper.Protocol("EventAck ranges must come in pairs");
        }

        return new EventAckFrame(ranges);
    }
}
