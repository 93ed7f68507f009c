using System.Buffers;

namespace SwooleGateway.Protocol.Commands;

/// <summary>Closes a client: gracefully (what is queued, then the last message, then the close) or forced (the socket is aborted).</summary>
internal readonly record struct CloseClientCommand(ulong ConnectionId, bool Force, ReadOnlySequence<byte>? LastMessage, SendFlags Flags) : ICommand<CloseClientCommand, NoResult>
{
    public static uint Op => 5;

    public static string Schema => "connId:u64, force:bool, lastMessage:bin|nil, flags:uint";

    public void Write(ref FieldWriter writer)
    {
        writer.ULong(ConnectionId);
        writer.Bool(Force);
        writer.BytesOrNil(LastMessage);
        writer.UInt((uint)Flags);
    }

    public static CloseClientCommand Read(ref FieldReader reader) => new(reader.ULong(), reader.Bool(), reader.BytesOrNil(), (SendFlags)reader.UInt());
}
