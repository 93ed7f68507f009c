using System.Buffers;

namespace SwooleGateway.Protocol.Messages;

/// <summary>
/// Event, gateway → worker: a client connected (for WebSocket, after the upgrade). <c>connId</c> is the gateway-local
/// connection number (the last 8 bytes of the client id). <c>uid</c> and <c>session</c> are set when the gateway's
/// authorizer accepted the client with them; the session is always sent in full (empty = none).
/// </summary>
internal readonly record struct ClientConnectFrame(
    ulong ConnectionId, string RemoteAddress, uint RemotePort, string Listener, string Transport, string? Path,
    IReadOnlyDictionary<string, string>? Headers, string? SubProtocol, uint SessionVersion, ReadOnlySequence<byte> Session,
    string? Uid, IReadOnlyDictionary<string, string>? Query) : IFrameMessage<ClientConnectFrame>
{
    public static MessageKind Kind => MessageKind.ClientConnect;

    public static string Schema =>
        "connId:u64, remoteIp:str, remotePort:uint, listener:str, transport:str, path:str|nil, headers:map|nil, subProtocol:str|nil, " +
        "sessionVersion:uint, session:bin, uid:str|nil, query:map|nil";

    public void Write(ref FieldWriter writer)
    {
        writer.ULong(ConnectionId);
        writer.String(RemoteAddress);
        writer.UInt(RemotePort);
        writer.String(Listener);
        writer.String(Transport);
        writer.String(Path);
        writer.StringMap(Headers);
        writer.String(SubProtocol);
        writer.UInt(SessionVersion);
        writer.Bytes(Session);
        writer.String(Uid);
        writer.StringMap(Query);
    }

    public static ClientConnectFrame Read(ref FieldReader reader) => new(
        reader.ULong(), reader.String() ?? "", reader.UInt(), reader.String() ?? "", reader.String() ?? "", reader.String(),
        reader.StringMap(StringComparer.OrdinalIgnoreCase), reader.String(), reader.UInt(), reader.Bytes(), reader.String(),
        reader.StringMap(StringComparer.Ordinal));
}
