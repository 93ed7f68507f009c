using System.Buffers;

namespace SwooleGateway.Protocol.Commands;

/// <summary>Sends a message to every client of this gateway except the excluded connections.</summary>
internal readonly record struct SendToAllCommand(ReadOnlySequence<byte> Payload, SendFlags Flags, ULongList Exclude) : ICommand<SendToAllCommand, NoResult>
{
    public static uint Op => 4;

    public static string Schema => "payload:bin, flags:uint, exclude:[u64]";

    public void Write(ref FieldWriter writer)
    {
        writer.Bytes(Payload);
        writer.UInt((uint)Flags);
        writer.ULongs(Exclude);
    }

    public static SendToAllCommand Read(ref FieldReader reader) => new(reader.Bytes(), (SendFlags)reader.UInt(), reader.ULongs());
}
