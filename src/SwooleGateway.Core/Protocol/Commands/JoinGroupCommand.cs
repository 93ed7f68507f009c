namespace SwooleGateway.Protocol.Commands;

/// <summary>Adds a client to a group.</summary>
internal readonly record struct JoinGroupCommand(ulong ConnectionId, string Group) : ICommand<JoinGroupCommand, NoResult>
{
    public static uint Op => 8;

    public static string Schema => "connId:u64, group:str";

    public void Write(ref FieldWriter writer)
    {
        writer.ULong(ConnectionId);
        writer.String(Group);
    }

    public static JoinGroupCommand Read(ref FieldReader reader) => new(reader.ULong(), reader.Key("group"));
}
