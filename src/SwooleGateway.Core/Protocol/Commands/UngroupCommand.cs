namespace SwooleGateway.Protocol.Commands;

/// <summary>Dissolves a group on this gateway: every member leaves it.</summary>
internal readonly record struct UngroupCommand(string Group) : ICommand<UngroupCommand, NoResult>
{
    public static uint Op => 10;

    public static string Schema => "group:str";

    public void Write(ref FieldWriter writer)
    {
        writer.String(Group);
    }

    public static UngroupCommand Read(ref FieldReader reader) => new(reader.Key("group"));
}
