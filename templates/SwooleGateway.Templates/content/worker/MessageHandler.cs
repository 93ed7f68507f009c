using SwooleGateway.Protocol;
using SwooleGateway.Worker;

namespace MyWorker;

/// <summary>
/// Handles the events of the clients connected to the gateways. Override what you need; each client's events arrive
/// one at a time, in order (different clients' run side by side). <see cref="GatewayEventHandler.Gateway"/> is the
/// Gateway API: SendToClient, SendToUid, SendToGroup, SendToAll; BindUid, JoinGroup, LeaveGroup; SetSession,
/// UpdateSession, GetSession; GetClientCount, IsUidOnline, GetClientListByGroup, ... (the same calls work from any
/// other app through GatewayClient).
/// </summary>
public sealed class MessageHandler : GatewayEventHandler
{
    /// <summary>A client connected (info has its address, listener, path, headers and query).</summary>
    public override ValueTask OnConnect(string clientId, ConnectInfo info)
    {
        // For example: read a token from info.Query, then await Gateway.BindUid(clientId, userId).
        return ValueTask.CompletedTask;
    }

    /// <summary>A client sent a message: this one answers with the message itself.</summary>
    public override async ValueTask OnMessage(string clientId, IReadOnlyDictionary<string, object?>? session, ReadOnlyMemory<byte> payload, EventContext context)
    {
        // context.Redelivered is true when a worker went away before confirming this message: make effects idempotent.
        await Gateway.SendToClient(clientId, payload, context.IsText ? SendFlags.Text : SendFlags.Binary);
    }

    /// <summary>A client disconnected (info has the uid and groups it had).</summary>
    public override ValueTask OnClose(string clientId, CloseInfo info) => ValueTask.CompletedTask;
}
