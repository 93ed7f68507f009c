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

    public static Task<int> GetClientCountByUid(string uid, CancellationToken cancellationToken = default) => Api.GetClientCountByUid(uid, cancellationToken);

    public static Task<int> GetClientCount(CancellationToken cancellationToken = default) => Api.GetClientCount(cancellationToken);

    public static Task<int> GetClientCountByGroup(string group, CancellationToken cancellationToken = default) => Api.GetClientCountByGroup(group, cancellationToken);

    public static ValueTask SendToClients(IEnumerable<string> clientIds, ReadOnlyMemory<byte> message, SendFlags flags = SendFlags.Auto) => Api.SendToClients(clientIds, message, flags);

    public static ValueTask SendToUids(IEnumerable<string> uids, ReadOnlyMemory<byte> message, IEnumerable<string>? excludeClients = null, SendFlags flags = SendFlags.Auto) => Api.SendToUids(uids, message, excludeClients, flags);

    public static ValueTask SendToGroups(IEnumerable<string> groups, ReadOnlyMemory<byte> message, IEnumerable<string>? excludeClients = null, SendFlags flags = SendFlags.Auto) => Api.SendToGroups(groups, message, excludeClients, flags);

    public static ValueTask CloseClient(string clientId, bool force, ReadOnlyMemory<byte>? lastMessage, SendFlags flags = SendFlags.Auto) => Api.CloseClient(clientId, force, lastMessage, flags);

    public static Task<ClientInfo?> GetClientInfo(string clientId, ClientInfoFlags fields = ClientInfoFlags.All, CancellationToken cancellationToken = default) => Api.GetClientInfo(clientId, fields, cancellationToken);

    public static Task<string?> GetUidByClient(string clientId, CancellationToken cancellationToken = default) => Api.GetUidByClient(clientId, cancellationToken);

    public static Task<int> GetUidCount(bool exact = true, CancellationToken cancellationToken = default) => Api.GetUidCount(exact, cancellationToken);

    public static Task<int> GetUidCountByGroup(string group, CancellationToken cancellationToken = default) => Api.GetUidCountByGroup(group, cancellationToken);

    public static IAsyncEnumerable<string> GetClientList(string? prevClient = null, CancellationToken cancellationToken = default) => Api.GetClientList(prevClient, cancellationToken);

    public static IAsyncEnumerable<string> GetClientListByGroup(string group, string? prevClient = null, CancellationToken cancellationToken = default) => Api.GetClientListByGroup(group, prevClient, cancellationToken);

    public static IAsyncEnumerable<string> GetClientListByUid(string uid, string? prevClient = null, CancellationToken cancellationToken = default) => Api.GetClientListByUid(uid, prevClient, cancellationToken);

    public static IAsyncEnumerable<string> GetUidList(bool unique = true, CancellationToken cancellationToken = default) => Api.GetUidList(unique, cancellationToken);

    public static IAsyncEnumerable<string> GetUidListByGroup(string group, bool unique = true, CancellationToken cancellationToken = default) => Api.GetUidListByGroup(group, unique, cancellationToken);

    public static IAsyncEnumerable<string> GetGroupList(bool unique = true, CancellationToken cancellationToken = default) => Api.GetGroupList(unique, cancellationToken);

    public static IAsyncEnumerable<(string ClientId, IReadOnlyDictionary<string, object?>? Session)> GetSessionsByGroup(string group, CancellationToken cancellationToken = default) =>
        Api.GetSessionsByGroup(group, cancellationToken);

    public static Task<byte[]?> CallCommand(string clientId, string name, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default) => Api.CallCommand(clientId, name, payload, cancellationToken);

    public static Task<IReadOnlyDictionary<string, byte[]?>> CallCommandOnAll(string name, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default) => Api.CallCommandOnAll(name, payload, cancellationToken);
}
