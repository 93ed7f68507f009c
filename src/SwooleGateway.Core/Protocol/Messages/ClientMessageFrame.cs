using System.Buffers;

namespace SwooleGateway.Protocol.Messages;

/// <summary>
/// Event, gateway → worker: a client sent a message. <c>session</c>: nil = unchanged since the version this worker last
/// received for this client over this link; empty = the client has no session; otherwise the MessagePack map exactly as
/// a worker stored it (never re-encoded). The payload is the client's bytes as they came. <c>number</c>: the message's
/// number on its client's connection (1, 2, ...; messages the throttle dropped leave gaps), the same when the event is
/// redelivered, so (client id, number) identifies it for de-duplication; 0 from a gateway that does not send it.
/// </summary>
internal readonly record struct ClientMessageFrame(EventHeader Header, uint SessionVersion, ReadOnlySequence<byte>? Session, ReadOnlySequence<byte> Payload, ulong Number = 0)
    : IClientEvent<ClientMessageFrame>
{
    public static MessageKind Kind => MessageKind.ClientMessage;

    public static string Schema => EventHeader.Schema + ", sessionVersion:uint, session:bin|nil, payload:bin, number?:u64";

    public void Write(ref FieldWriter writer)
    {
        Header.Write(ref writer);
        writer.UInt(SessionVersion);
        writer.BytesOrNil(Session);
        writer.Bytes(Payload);
        writer.ULong(Number);
    }

    public static ClientMessageFrame Read(ref FieldReader reader) =>
        new(EventHeader.Read(ref reader), reader.UInt(), reader.BytesOrNil(), reader.Bytes(), reader.Remaining > 0 ? reader.ULong() : 0);

    public ClientMessageFrame ForLink(ulong sequence, EventFlags flags, bool workerHasSession) =>
        this with { Header = Header with { Sequence = sequence, Flags = Header.Flags | flags }, Session = workerHasSession ? null : Session };

    public ClientMessageFrame WithSession(uint version, in ReadOnlySequence<byte> session) => this with { SessionVersion = version, Session = session };
}
