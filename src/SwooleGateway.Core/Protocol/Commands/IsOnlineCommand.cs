namespace SwooleGateway.Protocol.Commands;

/// <summary>Whether a client is connected.</summary>
internal readonly record struct IsOnlineCommand(ulong ConnectionId) : ICommand<IsOnlineCommand, BoolResult>
{
    public static uint Op => 22;

    public static string Schema => "connId:u64";

    public void Write(ref FieldWriter writer)
    {
        writer.ULong(ConnectionId);
    }

    public static IsOnlineCommand Read(ref FieldReader reader) => new(reader.ULong());
}
