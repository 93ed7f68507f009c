namespace SwooleGateway.Protocol.Commands;

/// <summary>Removes a client from a group; an empty group disappears.</summary>
internal readonly record struct LeaveGroupCommand(ulong ConnectionId, string Group) : ICommand<LeaveGroupCommand, NoResult>
{
    public static uint Op => 9;

    public static string Schema => "connId:u64, group:str";

    public void Write(ref FieldWriter writer)
    {
        writer.ULong(ConnectionId);
        writer.String(Group);
    }

    public static LeaveGroupCommand Read(ref FieldReader reader) => new(reader.ULong(), reader.Key("group"));
}
