using System.Buffers;

namespace SwooleGateway.Protocol.Commands;

/// <summary>Merges a MessagePack map key by key into a client's session.</summary>
internal readonly record struct UpdateSessionCommand(ulong ConnectionId, ReadOnlySequence<byte> Session) : ICommand<UpdateSessionCommand, NoResult>
{
    public static uint Op => 12;

    public static string Schema => "connId:u64, session:bin";

    public void Write(ref FieldWriter writer)
    {
        writer.ULong(ConnectionId);
        writer.Bytes(Session);
    }

    public static UpdateSessionCommand Read(ref FieldReader reader) => new(reader.ULong(), reader.Bytes());
}
