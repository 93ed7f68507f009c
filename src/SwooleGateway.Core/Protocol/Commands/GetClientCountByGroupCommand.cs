namespace SwooleGateway.Protocol.Commands;

/// <summary>The number of members of a group on this gateway.</summary>
internal readonly record struct GetClientCountByGroupCommand(string Group) : ICommand<GetClientCountByGroupCommand, CountResult>
{
    public static uint Op => 24;

    public static string Schema => "group:str";

    public void Write(ref FieldWriter writer)
    {
        writer.String(Group);
    }

    public static GetClientCountByGroupCommand Read(ref FieldReader reader) => new(reader.Key("group"));
}
