namespace SwooleGateway.Protocol.Commands;

/// <summary>Unbinds the uid of a client.</summary>
internal readonly record struct UnbindUidCommand(ulong ConnectionId) : ICommand<UnbindUidCommand, NoResult>
{
    public static uint Op => 7;

    public static string Schema => "connId:u64";

    public void Write(ref FieldWriter writer)
    {
        writer.ULong(ConnectionId);
    }

    public static UnbindUidCommand Read(ref FieldReader reader) => new(reader.ULong());
}
