namespace SwooleGateway.Protocol.Commands;

/// <summary>Binds a uid to a client; the last bind wins.</summary>
internal readonly record struct BindUidCommand(ulong ConnectionId, string Uid) : ICommand<BindUidCommand, NoResult>
{
    public static uint Op => 6;

    public static string Schema => "connId:u64, uid:str";

    public void Write(ref FieldWriter writer)
    {
        writer.ULong(ConnectionId);
        writer.String(Uid);
    }

    public static BindUidCommand Read(ref FieldReader reader) => new(reader.ULong(), reader.Key("uid"));
}
