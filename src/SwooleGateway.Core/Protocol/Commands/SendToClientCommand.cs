using System.Buffers;

namespace SwooleGateway.Protocol.Commands;

/// <summary>Sends a message to one client (a no-op when it is gone).</summary>
internal readonly record struct SendToClientCommand(ulong ConnectionId, ReadOnlySequence<byte> Payload, SendFlags Flags) : ICommand<SendToClientCommand, NoResult>
{
    public static uint Op => 1;

    public static string Schema => "connId:u64, payload:bin, flags:uint";

    public void Write(ref FieldWriter writer)
    {
        writer.ULong(ConnectionId);
        writer.Bytes(Payload);
        writer.UInt((uint)Flags);
    }

    public static SendToClientCommand Read(ref FieldReader reader) => new(reader.ULong(), reader.Bytes(), (SendFlags)reader.UInt());
}
