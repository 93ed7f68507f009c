namespace SwooleGateway.Protocol.Commands;

/// <summary>What the gateway knows of a client, only the asked fields.</summary>
internal readonly record struct GetClientInfoCommand(ulong ConnectionId, ClientInfoFlags Fields) : ICommand<GetClientInfoCommand, ClientInfoResult>
{
    public static uint Op => 30;

    public static string Schema => "connId:u64, fields:uint";

    public void Write(ref FieldWriter writer)
    {
        writer.ULong(ConnectionId);
        writer.UInt((uint)Fields);
    }

    public static GetClientInfoCommand Read(ref FieldReader reader) => new(reader.ULong(), (ClientInfoFlags)reader.UInt());
}
