namespace SwooleGateway.Protocol;

/// <summary>
/// Frames between gateways and workers (after the handshake). The gateway's reader/writer is
/// <c>SwooleGateway.Gateway.WorkerLink</c>, the worker's is <c>SwooleGateway.Worker.GatewayLink</c>.
/// </summary>
/// <remarks>
/// Events, gateway → worker (connId is the gateway-local connection number, the last 8 bytes of the client id):
/// <code>
/// ClientConnect  [32, connId:u64, remoteIp:str, remotePort:uint, listener:str, transport:str, path:str|nil, headers:map(str,str)|nil,
///                 subProtocol:str|nil, sessionVersion:uint, session:bin (bin0 = none), uid:str|nil, query:map(str,str)|nil]
///                (uid and session are set when the gateway's authorizer accepted the client with them)
/// ClientMessage  [33, connId:u64, sessionVersion:uint, session:bin|nil, payload:bin, flags:uint]
///                session nil  = unchanged since the version this worker last received for this client;
///                session bin0 = the client has no session; otherwise the MessagePack map of the session.
///                flags bit 0 = the client sent a text frame.
/// ClientClose    [34, connId:u64, session:bin (bin0 = none), uid:str|nil, groups:[str]]
/// </code>
/// Control, worker → gateway:
/// <code>
/// WorkerDraining [40]   the worker is stopping: send it no new events; it finishes what it has.
/// </code>
/// Control, gateway → worker:
/// <code>
/// DrainAck [42]         answer to WorkerDraining: the gateway routes nothing new to this worker after this frame.
/// </code>
/// Control, gateway → worker/client:
/// <code>
/// GatewayLeaving [41]   the gateway is shutting down on purpose: do not report it as missing once its link closes.
/// </code>
/// Commands, worker → gateway, and replies:
/// <code>
/// Command [48, requestId:uint, op:uint, args...]   requestId 0 = no reply wanted
/// Reply   [49, requestId:uint, status:uint, result...]   status: see <see cref="ReplyStatus"/>
/// </code>
/// Arguments and results per op are listed on <see cref="CommandOp"/>. Payloads are raw bytes (bin), never re-encoded.
/// Message flags (<see cref="SendFlags"/>): 0 = auto (text if valid UTF-8), 1 = text, 2 = binary.
/// </remarks>
internal static class GatewayProtocol
{
    public const uint FlagText = 1;
}

/// <summary>Command operations. Values are wire format: never renumber.</summary>
internal enum CommandOp : uint
{
    /// <summary>[connId:u64, payload:bin, flags:uint]</summary>
    SendToClient = 1,

    /// <summary>[uids:[str], payload:bin, flags:uint, exclude:[u64]]</summary>
    SendToUid = 2,

    /// <summary>[groups:[str], payload:bin, flags:uint, exclude:[u64]]</summary>
    SendToGroup = 3,

    /// <summary>[payload:bin, flags:uint, exclude:[u64]]</summary>
    SendToAll = 4,

    /// <summary>[connId:u64, force:bool, lastMessage:bin|nil, flags:uint]</summary>
    CloseClient = 5,

    /// <summary>[connId:u64, uid:str]</summary>
    BindUid = 6,

    /// <summary>[connId:u64]</summary>
    UnbindUid = 7,

    /// <summary>[connId:u64, group:str]</summary>
    JoinGroup = 8,

    /// <summary>[connId:u64, group:str]</summary>
    LeaveGroup = 9,

    /// <summary>[group:str]</summary>
    Ungroup = 10,

    /// <summary>[connId:u64, session:bin (a MessagePack map; bin0 = delete)]</summary>
    SetSession = 11,

    /// <summary>[connId:u64, session:bin] merged key by key into the current session.</summary>
    UpdateSession = 12,

    /// <summary>[connId:u64] → reply [session:bin|nil]</summary>
    GetSession = 20,

    /// <summary>[] → reply [count:uint]</summary>
    GetClientCount = 21,

    /// <summary>[connId:u64] → reply [online:bool]</summary>
    IsOnline = 22,

    /// <summary>[uid:str] → reply [online:bool]</summary>
    IsUidOnline = 23,

    /// <summary>[group:str] → reply [count:uint]</summary>
    GetClientCountByGroup = 24,

    /// <summary>[] → reply [count:uint] distinct uids bound on this gateway.</summary>
    GetUidCount = 25,

    /// <summary>[group:str] → reply [count:uint] distinct uids among the group's members on this gateway.</summary>
    GetUidCountByGroup = 26,

    /// <summary>
    /// [scope:uint (0 all, 1 group, 2 uid), key:str|nil, after:u64, limit:uint] → reply [connIds:[u64] ascending, more:bool].
    /// Returns connection numbers greater than <c>after</c>, smallest first.
    /// </summary>
    ListClients = 27,

    /// <summary>[group:str|nil, after:str|nil, limit:uint] → reply [uids:[str] ordinal ascending, more:bool] (distinct on this gateway).</summary>
    ListUids = 28,

    /// <summary>[after:str|nil, limit:uint] → reply [groups:[str] ordinal ascending, more:bool]</summary>
    ListGroups = 29,

    /// <summary>[connId:u64, fields:uint] → reply [info:map|nil] (keys: see ClientInfoFields and GatewayServer.Commands.cs).</summary>
    GetClientInfo = 30,

    /// <summary>[group:str, after:u64, limit:uint] → reply [[[connId:u64, session:bin|nil], ...], more:bool]</summary>
    GetSessionsByGroup = 31,

    /// <summary>[name:str, payload:bin] → reply [result:bin|nil]; an application command registered on the gateway.</summary>
    Custom = 32,

    /// <summary>[connIds:[u64], payload:bin, flags:uint]</summary>
    SendToClients = 13,
}

/// <summary>Reply status. Values are wire format.</summary>
internal enum ReplyStatus : uint
{
    Ok = 0,
    UnknownOp = 1,
    BadArguments = 2,
    Failed = 3,
    UnknownCommand = 4,
}

/// <summary>How the gateway frames an outbound message for WebSocket clients.</summary>
public enum SendFlags : uint
{
    /// <summary>Text frame when the bytes are valid UTF-8, binary otherwise.</summary>
    Auto = 0,
    Text = 1,
    Binary = 2,
}

/// <summary>Which parts of a client's info to fetch (wire values of GetClientInfo's fields argument).</summary>
[Flags]
public enum ClientInfoFlags : uint
{
    None = 0,
    RemoteAddress = 1,
    RemotePort = 2,
    Uid = 4,
    Session = 8,
    Groups = 16,

    /// <summary>Transport, listener, connect time, bytes and messages in and out.</summary>
    System = 32,
    All = RemoteAddress | RemotePort | Uid | Session | Groups | System,
}
