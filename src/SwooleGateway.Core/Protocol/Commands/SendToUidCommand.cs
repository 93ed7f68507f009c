using System.Buffers;

namespace SwooleGateway.Protocol.Commands;

/// <summary>Sends a message to every client bound to any of the uids on this gateway (each client once), except the excluded connections.</summary>
internal readonly record struct SendToUidCommand(StringList Uids, ReadOnlySequence<byte> Payload, SendFlags Flags, ULongList Exclude) : ICommand<SendToUidCommand, NoResult>
{
    public static uint Op => 2;

    public static string Schema => "uids:[str], payload:bin, flags:uint, exclude:[u64]";

    public void Write(ref FieldWriter writer)
    {
        writer.Strings(Uids);
        writer.Bytes(Payload);
        writer.UInt((uint)Flags);
        writer.ULongs(Exclude);
    }

    public static SendToUidCommand Read(ref FieldReader reader) => new(reader.Strings(), reader.Bytes(), (SendFlags)reader.UInt(), reader.ULongs());
}
