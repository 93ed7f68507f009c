namespace SwooleGateway.Protocol.Commands;

/// <summary>A client's session (nil when it has none or is gone).</summary>
internal readonly record struct GetSessionCommand(ulong ConnectionId) : ICommand<GetSessionCommand, BytesResult>
{
    public static uint Op => 20;

    public static string Schema => "connId:u64";

    public void Write(ref FieldWriter writer)
    {
        writer.ULong(ConnectionId);
    }

    public static GetSessionCommand Read(ref FieldReader reader) => new(reader.ULong());
}
