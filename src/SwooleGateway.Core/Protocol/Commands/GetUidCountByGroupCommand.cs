namespace SwooleGateway.Protocol.Commands;

/// <summary>The number of distinct uids among a group's members on this gateway.</summary>
internal readonly record struct GetUidCountByGroupCommand(string Group) : ICommand<GetUidCountByGroupCommand, CountResult>
{
    public static uint Op => 26;

    public static string Schema => "group:str";

    public void Write(ref FieldWriter writer)
    {
        writer.String(Group);
    }

    public static GetUidCountByGroupCommand Read(ref FieldReader reader) => new(reader.Key("group"));
}
