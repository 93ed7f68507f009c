namespace SwooleGateway.Protocol.Commands;

/// <summary>One page of uid or group names, in ordinal order, and whether more follow.</summary>
internal readonly record struct NamePage(string[] Names, bool More) : IWireFields<NamePage>
{
    public static string Schema => "names:[str], more:bool";

    public void Write(ref FieldWriter writer)
    {
        writer.Strings(new StringList(Names));
        writer.Bool(More);
    }

    public static NamePage Read(ref FieldReader reader) => new(reader.Strings().ToArray(), reader.Bool());
}
