using System.Buffers;

namespace SwooleGateway.Protocol.Messages;

/// <summary>
/// Event, gateway → worker: a client connected (for WebSocket, after the upgrade). <c>uid</c> and <c>session</c> are set
/// when the gateway's authorizer accepted the client with them; the session is always sent in full (empty = none).
/// </summary>
internal readonly record struct ClientConnectFrame(
    EventHeader Header, string RemoteAddress, uint RemotePort, string Listener, string Transport, string? Path,
    IReadOnlyDictionary<string, string>? Headers, string? SubProtocol, IReadOnlyDictionary<string, string>? Query, string? Uid,
    uint SessionVersion, ReadOnlySequence<byte> Session) : IClientEvent<ClientConnectFrame>
{
    public static MessageKind Kind => MessageKind.ClientConnect;

    public static string Schema =>
        EventHeader.Schema + ", remoteIp:str, remotePort:uint, listener:str, transport:str, path:str|nil, headers:map|nil, subProtocol:str|nil, " +
        "query:map|nil, uid:str|nil, sessionVersion:uint, session:bin";

    public void Write(ref FieldWriter writer)
    {
        Header.Write(ref writer);
        writer.String(RemoteAddress);
        writer.UInt(RemotePort);
        writer.String(Listener);
        writer.String(Transport);
        writer.String(Path);
        writer.StringMap(Headers);
        writer.String(SubProtocol);
        writer.StringMap(Query);
        writer.String(Uid);
        writer.UInt(SessionVersion);
        writer.Bytes(Session);
    }

    public static ClientConnectFrame Read(ref FieldReader reader) => new(
        EventHeader.Read(ref reader), reader.String() ?? "", reader.UInt(), reader.String() ?? "", reader.String() ?? "", reader.String(),
        reader.StringMap(StringComparer.OrdinalIgnoreCase), reader.String(), reader.StringMap(StringComparer.Ordinal), reader.String(),
        reader.UInt(), reader.Bytes());

    public ClientConnectFrame ForLink(ulong sequence, EventFlags flags, bool workerHasSession) =>
        this with { Header = Header with { Sequence = sequence, Flags = Header.Flags | flags } };

    public ClientConnectFrame WithSession(uint version, in ReadOnlySequence<byte> session) => this;
}
