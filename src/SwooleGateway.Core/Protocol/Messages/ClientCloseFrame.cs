using System.Buffers;

namespace SwooleGateway.Protocol.Messages;

/// <summary>Event, gateway → worker: a client closed; with the session (in full; empty = none), uid and groups it had.</summary>
internal readonly record struct ClientCloseFrame(EventHeader Header, uint SessionVersion, ReadOnlySequence<byte> Session, string? Uid, StringList Groups)
    : IClientEvent<ClientCloseFrame>
{
    public static MessageKind Kind => MessageKind.ClientClose;

    public static string Schema => EventHeader.Schema + ", sessionVersion:uint, session:bin, uid:str|nil, groups:[str]";

    public void Write(ref FieldWriter writer)
    {
        Header.Write(ref writer);
        writer.UInt(SessionVersion);
        writer.Bytes(Session);
        writer.String(Uid);
        writer.Strings(Groups);
    }

    public static ClientCloseFrame Read(ref FieldReader reader) => new(EventHeader.Read(ref reader), reader.UInt(), reader.Bytes(), reader.String(), reader.Strings());

    public ClientCloseFrame ForLink(ulong sequence, EventFlags flags, bool workerHasSession) =>
        this with { Header = Header with { Sequence = sequence, Flags = Header.Flags | flags } };

    public ClientCloseFrame WithSession(uint version, in ReadOnlySequence<byte> session) => this;
}
