namespace SwooleGateway.Protocol;

/// <summary>
/// The first fields of every client event (<c>seq:u64, connId:u64, flags:uint</c>). <c>seq</c> numbers the events of one
/// gateway–worker link from 1 upwards; the worker acknowledges it with <see cref="Messages.EventAckFrame"/> once the
/// handler has completed. <c>connId</c> is the gateway-local connection number (the last 8 bytes of the client id).
/// </summary>
internal readonly record struct EventHeader(ulong Sequence, ulong ConnectionId, EventFlags Flags)
{
    public const string Schema = "seq:u64, connId:u64, flags:uint";

    public void Write(ref FieldWriter writer)
    {
        writer.ULong(Sequence);
        writer.ULong(ConnectionId);
        writer.UInt((uint)Flags);
    }

    public static EventHeader Read(ref FieldReader reader) => new(reader.ULong(), reader.ULong(), (EventFlags)reader.UInt());
}
