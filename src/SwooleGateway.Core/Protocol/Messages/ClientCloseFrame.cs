using System.Buffers;

namespace SwooleGateway.Protocol.Messages;

/// <summary>Event, gateway → worker: a client closed; with the session (in full; empty = none), uid and groups it had.</summary>
internal readonly record struct ClientCloseFrame(ulong ConnectionId, ReadOnlySequence<byte> Session, string? Uid, StringList Groups) : IFrameMessage<ClientCloseFrame>
{
    public static MessageKind Kind => MessageKind.ClientClose;

    public static string Schema => "connId:u64, session:bin, uid:str|nil, groups:[str]";

    public void Write(ref FieldWriter writer)
    {
        writer.ULong(ConnectionId);
        writer.Bytes(Session);
        writer.String(Uid);
        writer.Strings(Groups);
    }

    public static ClientCloseFrame Read(ref FieldReader reader) => new(reader.ULong(), reader.Bytes(), reader.String(), reader.Strings());
}
