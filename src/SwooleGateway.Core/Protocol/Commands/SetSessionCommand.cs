using System.Buffers;

namespace SwooleGateway.Protocol.Commands;

/// <summary>Replaces a client's session with a MessagePack map; empty bytes delete it.</summary>
internal readonly record struct SetSessionCommand(ulong ConnectionId, ReadOnlySequence<byte> Session) : ICommand<SetSessionCommand, NoResult>
{
    public static uint Op => 11;

    public static string Schema => "connId:u64, session:bin";

    public void Write(ref FieldWriter writer)
    {
        writer.ULong(ConnectionId);
        writer.Bytes(Session);
    }

    public static SetSessionCommand Read(ref FieldReader reader) => new(reader.ULong(), reader.Bytes());
}
