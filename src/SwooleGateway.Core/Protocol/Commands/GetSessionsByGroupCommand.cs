namespace SwooleGateway.Protocol.Commands;

/// <summary>One page of the sessions of a group's members, by connection number above <c>after</c>.</summary>
internal readonly record struct GetSessionsByGroupCommand(string Group, ulong After, uint Limit) : ICommand<GetSessionsByGroupCommand, SessionPage>
{
    public static uint Op => 31;

    public static string Schema => "group:str, after:u64, limit:uint";

    public void Write(ref FieldWriter writer)
    {
        writer.String(Group);
        writer.ULong(After);
        writer.UInt(Limit);
    }

    public static GetSessionsByGroupCommand Read(ref FieldReader reader) => new(reader.Key("group"), reader.ULong(), reader.UInt());
}
