using System.Buffers;

namespace SwooleGateway.Protocol.Messages;

/// <summary>
/// Event, gateway → worker: a client sent a message. <c>session</c>: nil = unchanged since the version this worker last
/// received for this client; empty = the client has no session; otherwise the MessagePack map exactly as a worker
/// stored it (never re-encoded). <c>flags</c>: see <see cref="EventFlags"/>. The payload is the client's bytes as they came.
/// </summary>
internal readonly record struct ClientMessageFrame(ulong ConnectionId, uint SessionVersion, ReadOnlySequence<byte>? Session, ReadOnlySequence<byte> Payload, EventFlags Flags)
    : IFrameMessage<ClientMessageFrame>
{
    public static MessageKind Kind => MessageKind.ClientMessage;

    public static string Schema => "connId:u64, sessionVersion:uint, session:bin|nil, payload:bin, flags:uint";

    public void Write(ref FieldWriter writer)
    {
        writer.ULong(ConnectionId);
        writer.UInt(SessionVersion);
        writer.BytesOrNil(Session);
        writer.Bytes(Payload);
        writer.UInt((uint)Flags);
    }

    public static ClientMessageFrame Read(ref FieldReader reader) =>
        new(reader.ULong(), reader.UInt(), reader.BytesOrNil(), reader.Bytes(), (EventFlags)reader.UInt());
}
