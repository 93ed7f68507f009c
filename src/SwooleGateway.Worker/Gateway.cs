using SwooleGateway.Protocol;

namespace SwooleGateway.Worker;

/// <summary>
/// The static Gateway API, as in GatewayWorker (<c>Gateway::sendToAll</c>): forwards to the
/// <see cref="GatewayApi"/> of the first worker started in this process. Inside a handler, the
/// handler's own <see cref="GatewayEventHandler.Gateway"/> property is the same API.
/// </summary>
public static class Gateway
{
    /// <summary>The API behind these methods; throws when no worker has started in this process.</summary>
    public static GatewayApi Api => GatewayApi.Default ?? throw new InvalidOperationException(
        "No SwooleGateway worker has started in this process; add AddSwooleGatewayWorker<THandler>() to the host and start it.");

    public static ValueTask SendToClient(string clientId, ReadOnlyMemory<byte> message, SendFlags flags = SendFlags.Auto) => Api.SendToClient(clientId, message, flags);

    public static ValueTask SendToClient(string clientId, string message) => Api.SendToClient(clientId, message);

    public static ValueTask SendToUid(string uid, ReadOnlyMemory<byte> message, IEnumerable<string>? excludeClients = null, SendFlags flags = SendFlags.Auto) => Api.SendToUid(uid, message, excludeClients, flags);

    public static ValueTask SendToUid(string uid, string message, IEnumerable<string>? excludeClients = null) => Api.SendToUid(uid, message, excludeClients);

    public static ValueTask SendToGroup(string group, ReadOnlyMemory<byte> message, IEnumerable<string>? excludeClients = null, SendFlags flags = SendFlags.Auto) => Api.SendToGroup(group, message, excludeClients, flags);

    public static ValueTask SendToGroup(string group, string message, IEnumerable<string>? excludeClients = null) => Api.SendToGroup(group, message, excludeClients);

    public static ValueTask SendToAll(ReadOnlyMemory<byte> message, IEnumerable<string>? excludeClients = null, SendFlags flags = SendFlags.Auto) => Api.SendToAll(message, excludeClients, flags);

    public static ValueTask SendToAll(string message, IEnumerable<string>? excludeClients = null) => Api.SendToAll(message, excludeClients);

    public static ValueTask CloseClient(string clientId, bool force = false) => Api.CloseClient(clientId, force);

    public static ValueTask BindUid(string clientId, string uid) => Api.BindUid(clientId, uid);

    public static ValueTask UnbindUid(string clientId) => Api.UnbindUid(clientId);

    public static ValueTask JoinGroup(string clientId, string group) => Api.JoinGroup(clientId, group);

    public static ValueTask LeaveGroup(string clientId, string group) => Api.LeaveGroup(clientId, group);

    public static ValueTask Ungroup(string group) => Api.Ungroup(group);

    public static ValueTask SetSession(string clientId, IReadOnlyDictionary<string, object?> session) => Api.SetSession(clientId, session);

    public static ValueTask UpdateSession(string clientId, IReadOnlyDictionary<string, object?> session) => Api.UpdateSession(clientId, session);

    public static ValueTask DeleteSession(string clientId) => Api.DeleteSession(clientId);

    public static Task<IReadOnlyDictionary<string, object?>?> GetSession(string clientId, CancellationToken cancellationToken = default) => Api.GetSession(clientId, cancellationToken);

    public static Task<bool> IsOnline(string clientId, CancellationToken cancellationToken = default) => Api.IsOnline(clientId, cancellationToken);

    public static Task<bool> IsUidOnline(string uid, CancellationToken cancellationToken = default) => Api.IsUidOnline(uid, cancellationToken);

    public static Task<int> GetClientCount(CancellationToken cancellationToken = default) => Api.GetClientCount(cancellationToken);

    public static Task<int> GetClientCountByGroup(string group, CancellationToken cancellationToken = default) => Api.GetClientCountByGroup(group, cancellationToken);
}
