namespace SwooleGateway.Protocol.Commands;

/// <summary>Whether any client of this gateway is bound to the uid.</summary>
internal readonly record struct IsUidOnlineCommand(string Uid) : ICommand<IsUidOnlineCommand, BoolResult>
{
    public static uint Op => 23;

    public static string Schema => "uid:str";

    public void Write(ref FieldWriter writer)
    {
        writer.String(Uid);
    }

    public static IsUidOnlineCommand Read(ref FieldReader reader) => new(reader.Key("uid"));
}
