using System.Buffers;

namespace SwooleGateway.Protocol.Commands;

/// <summary>Sends a message to every member of any of the groups on this gateway (each client once), except the excluded connections.</summary>
internal readonly record struct SendToGroupCommand(StringList Groups, ReadOnlySequence<byte> Payload, SendFlags Flags, ULongList Exclude) : ICommand<SendToGroupCommand, NoResult>
{
    public static uint Op => 3;

    public static string Schema => "groups:[str], payload:bin, flags:uint, exclude:[u64]";

    public void Write(ref FieldWriter writer)
    {
        writer.Strings(Groups);
        writer.Bytes(Payload);
        writer.UInt((uint)Flags);
        writer.ULongs(Exclude);
    }

    public static SendToGroupCommand Read(ref FieldReader reader) => new(reader.Strings(), reader.Bytes(), (SendFlags)reader.UInt(), reader.ULongs());
}
