using System.Buffers;

namespace SwooleGateway.Protocol.Commands;

/// <summary>Sends one message to several clients of this gateway (those that are gone are skipped).</summary>
internal readonly record struct SendToClientsCommand(ULongList ConnectionIds, ReadOnlySequence<byte> Payload, SendFlags Flags) : ICommand<SendToClientsCommand, NoResult>
{
    public static uint Op => 13;

    public static string Schema => "connIds:[u64], payload:bin, flags:uint";

    public void Write(ref FieldWriter writer)
    {
        writer.ULongs(ConnectionIds);
        writer.Bytes(Payload);
        writer.UInt((uint)Flags);
    }

    public static SendToClientsCommand Read(ref FieldReader reader) => new(reader.ULongs(), reader.Bytes(), (SendFlags)reader.UInt());
}
