namespace SwooleGateway.Protocol.Commands;

/// <summary>One page of the distinct uids of this gateway (or of a group's members) ordinally after <c>after</c>.</summary>
internal readonly record struct ListUidsCommand(string? Group, string? After, uint Limit) : ICommand<ListUidsCommand, NamePage>
{
    public static uint Op => 28;

    public static string Schema => "group:str|nil, after:str|nil, limit:uint";

    public void Write(ref FieldWriter writer)
    {
        writer.String(Group);
        writer.String(After);
        writer.UInt(Limit);
    }

    public static ListUidsCommand Read(ref FieldReader reader) => new(reader.String(), reader.String(), reader.UInt());
}
