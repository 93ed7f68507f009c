namespace SwooleGateway.Protocol.Commands;

/// <summary>The number of this gateway's clients bound to a uid (a user's open devices and tabs here).</summary>
internal readonly record struct GetClientCountByUidCommand(string Uid) : ICommand<GetClientCountByUidCommand, CountResult>
{
    public static uint Op => 33;

    public static string Schema => "uid:str";

    public void Write(ref FieldWriter writer)
    {
        writer.String(Uid);
    }

    public static GetClientCountByUidCommand Read(ref FieldReader reader) => new(reader.Key("uid"));
}
