namespace SwooleGateway.Protocol.Commands;

/// <summary>One page of the group names of this gateway ordinally after <c>after</c>.</summary>
internal readonly record struct ListGroupsCommand(string? After, uint Limit) : ICommand<ListGroupsCommand, NamePage>
{
    public static uint Op => 29;

    public static string Schema => "after:str|nil, limit:uint";

    public void Write(ref FieldWriter writer)
    {
        writer.String(After);
        writer.UInt(Limit);
    }

    public static ListGroupsCommand Read(ref FieldReader reader) => new(reader.String(), reader.UInt());
}
