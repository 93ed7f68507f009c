using System.Buffers;

namespace SwooleGateway.Protocol.Messages;

/// <summary>
/// Event, gateway → worker: a client sent a message. <c>session</c>: nil = unchanged since the version this worker last
/// received for this client over this link; empty = the client has no session; otherwise the MessagePack map exactly as
/// a worker stored it (never re-encoded). The payload is the client's bytes as they came.
/// </summary>
internal readonly record struct ClientMessageFrame(EventHeader Header, uint SessionVersion, ReadOnlySequence<byte>? Session, ReadOnlySequence<byte> Payload)
    : IClientEvent<ClientMessageFrame>
{
    public static MessageKind Kind => MessageKind.ClientMessage;

    public static string Schema => EventHeader.Schema + ", sessionVersion:uint, session:bin|nil, payload:bin";

    public void Write(ref FieldWriter writer)
    {
        Header.Write(ref writer);
        writer.UInt(SessionVersion);
        writer.BytesOrNil(Session);
        writer.Bytes(Payload);
    }

    public static ClientMessageFrame Read(ref FieldReader reader) => new(EventHeader.Read(ref reader), reader.UInt(), reader.BytesOrNil(), reader.Bytes());

    public ClientMessageFrame ForLink(ulong sequence, EventFlags flags, bool workerHasSession) =>
        this with { Header = Header with { Sequence = sequence, Flags = Header.Flags | flags }, Session = workerHasSession ? null : Session };

    public ClientMessageFrame WithSession(uint version, in ReadOnlySequence<byte> session) => this with { SessionVersion = version, Session = session };
}
