using System.Buffers;
using System.Text;
using MessagePack;
using SwooleGateway.Protocol;
using SwooleGateway.Protocol.Commands;

namespace SwooleGateway.Worker;

/// <summary>
/// The Gateway API: send to clients, uids, groups or everyone; bind uids; join groups; sessions; queries.
/// Calls on one client go straight to the gateway that holds it; fan-out goes to every gateway; queries
/// scatter to the gateways in parallel and gather with <see cref="WorkerOptions.CallTimeout"/>.
/// </summary>
/// <remarks>
/// Sends complete when queued to the gateway link (they never wait for a client). Mutations (bind, groups,
/// sessions, close) complete when the gateway has applied them, so the client's next event and every later
/// call, from any worker, see the change.
/// A malformed client id fails with <see cref="ArgumentException"/>; a client whose gateway is not connected
/// with <see cref="GatewayUnavailableException"/>; a query a gateway does not answer in time with
/// <see cref="TimeoutException"/>. Operations on a client that is gone are no-ops (queries answer false/null/0).
/// </remarks>
public sealed partial class GatewayApi
{
    private static readonly MessagePackSerializerOptions s_sessionOptions = MessagePackSerializerOptions.Standard;
    private static volatile GatewayApi? s_default;

    private readonly GatewayDirectory _directory;
    private readonly WorkerOptions _options;

    internal GatewayApi(GatewayDirectory directory, WorkerOptions options)
    {
        _directory = directory;
        _options = options;
    }

    /// <summary>The API behind the static <see cref="Gateway"/> class: the first worker started in this process.</summary>
    public static GatewayApi? Default => s_default;

    internal static void SetDefault(GatewayApi api) => Interlocked.CompareExchange(ref s_default, api, null);

    internal static void ClearDefault(GatewayApi api) => Interlocked.CompareExchange(ref s_default, null, api);

    /// <summary>Number of gateways currently connected.</summary>
    public int GatewayCount => _directory.Links.Length;

    // ---------------- sends ----------------

    /// <summary>Sends bytes to one client. WebSocket clients get a text frame when the bytes are UTF-8 (<see cref="SendFlags.Auto"/>).</summary>
    public ValueTask SendToClient(string clientId, ReadOnlyMemory<byte> message, SendFlags flags = SendFlags.Auto)
    {
        try
        {
            GatewayLink link = _directory.Resolve(clientId, out ulong connectionId);
            link.Send<SendToClientCommand, NoResult>(new SendToClientCommand(connectionId, new ReadOnlySequence<byte>(message), flags));
            return ValueTask.CompletedTask;
        }
        catch (Exception ex)
        {
            return ValueTask.FromException(ex);
        }
    }

    /// <summary>Sends text to one client (a WebSocket text frame).</summary>
    public ValueTask SendToClient(string clientId, string message) =>
        SendToClient(clientId, Encoding.UTF8.GetBytes(message), SendFlags.Text);

    /// <summary>Sends to every client bound to <paramref name="uid"/> on every gateway, except <paramref name="excludeClients"/>.</summary>
    public ValueTask SendToUid(string uid, ReadOnlyMemory<byte> message, IEnumerable<string>? excludeClients = null, SendFlags flags = SendFlags.Auto) =>
        FanOut(FanOutTarget.Uids, [uid], message, excludeClients, flags);

    public ValueTask SendToUid(string uid, string message, IEnumerable<string>? excludeClients = null) =>
        FanOut(FanOutTarget.Uids, [uid], Encoding.UTF8.GetBytes(message), excludeClients, SendFlags.Text);

    /// <summary>Sends to every member of <paramref name="group"/> on every gateway, except <paramref name="excludeClients"/>.</summary>
    public ValueTask SendToGroup(string group, ReadOnlyMemory<byte> message, IEnumerable<string>? excludeClients = null, SendFlags flags = SendFlags.Auto) =>
        FanOut(FanOutTarget.Groups, [group], message, excludeClients, flags);

    public ValueTask SendToGroup(string group, string message, IEnumerable<string>? excludeClients = null) =>
        FanOut(FanOutTarget.Groups, [group], Encoding.UTF8.GetBytes(message), excludeClients, SendFlags.Text);

    /// <summary>Sends to every connected client on every gateway, except <paramref name="excludeClients"/>.</summary>
    public ValueTask SendToAll(ReadOnlyMemory<byte> message, IEnumerable<string>? excludeClients = null, SendFlags flags = SendFlags.Auto) =>
        FanOut(FanOutTarget.All, null, message, excludeClients, flags);

    public ValueTask SendToAll(string message, IEnumerable<string>? excludeClients = null) =>
        FanOut(FanOutTarget.All, null, Encoding.UTF8.GetBytes(message), excludeClients, SendFlags.Text);

    /// <summary>Sends to several clients (on any gateways) in one call: one command per gateway.</summary>
    public ValueTask SendToClients(IEnumerable<string> clientIds, ReadOnlyMemory<byte> message, SendFlags flags = SendFlags.Auto)
    {
        try
        {
            var byGateway = new Dictionary<GatewayLink, List<ulong>>();
            foreach (string clientId in clientIds)
            {
                GatewayLink link = _directory.Resolve(clientId, out ulong connectionId);
                if (!byGateway.TryGetValue(link, out List<ulong>? ids))
                {
                    byGateway[link] = ids = [];
                }

                ids.Add(connectionId);
            }

            foreach ((GatewayLink link, List<ulong> ids) in byGateway)
            {
                link.Send<SendToClientsCommand, NoResult>(new SendToClientsCommand(new ULongList(ids.ToArray()), new ReadOnlySequence<byte>(message), flags));
            }

            return ValueTask.CompletedTask;
        }
        catch (Exception ex)
        {
            return ValueTask.FromException(ex);
        }
    }

    /// <summary>Sends to every client of any of <paramref name="uids"/> (each client once), except <paramref name="excludeClients"/>.</summary>
    public ValueTask SendToUids(IEnumerable<string> uids, ReadOnlyMemory<byte> message, IEnumerable<string>? excludeClients = null, SendFlags flags = SendFlags.Auto) =>
        FanOut(FanOutTarget.Uids, [.. uids.Distinct(StringComparer.Ordinal)], message, excludeClients, flags);

    /// <summary>Sends to every member of any of <paramref name="groups"/>; a member of several of them receives it once.</summary>
    public ValueTask SendToGroups(IEnumerable<string> groups, ReadOnlyMemory<byte> message, IEnumerable<string>? excludeClients = null, SendFlags flags = SendFlags.Auto) =>
        FanOut(FanOutTarget.Groups, [.. groups.Distinct(StringComparer.Ordinal)], message, excludeClients, flags);

    // ---------------- mutations ----------------

    /// <summary>Closes a client: gracefully (queued messages, then <paramref name="lastMessage"/>, are delivered first) or forced (the socket is aborted).</summary>
    public ValueTask CloseClient(string clientId, bool force = false, ReadOnlyMemory<byte>? lastMessage = null, SendFlags flags = SendFlags.Auto) =>
        Apply(clientId, id => new CloseClientCommand(id, force, lastMessage is { } m ? new ReadOnlySequence<byte>(m) : null, flags));

    /// <summary>Binds a uid to a client (a client has at most one uid: the last bind wins).</summary>
    public ValueTask BindUid(string clientId, string uid) => Apply(clientId, id => new BindUidCommand(id, RequireKey(uid, nameof(uid))));

    public ValueTask UnbindUid(string clientId) => Apply(clientId, id => new UnbindUidCommand(id));

    public ValueTask JoinGroup(string clientId, string group) => Apply(clientId, id => new JoinGroupCommand(id, RequireKey(group, nameof(group))));

    public ValueTask LeaveGroup(string clientId, string group) => Apply(clientId, id => new LeaveGroupCommand(id, RequireKey(group, nameof(group))));

    /// <summary>Dissolves a group on every gateway: all members leave it. Completes when every gateway has applied it.</summary>
    public async ValueTask Ungroup(string group)
    {
        RequireKey(group, nameof(group));
        await ScatterAsync<UngroupCommand, NoResult, bool>(new UngroupCommand(group), static _ => true, CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>Replaces a client's session. Values must be MessagePack primitives, lists or maps.</summary>
    public ValueTask SetSession(string clientId, IReadOnlyDictionary<string, object?> session) =>
        Apply(clientId, id => new SetSessionCommand(id, new ReadOnlySequence<byte>(SerializeSession(session))));

    /// <summary>Merges keys into a client's session (keys not given are kept).</summary>
    public ValueTask UpdateSession(string clientId, IReadOnlyDictionary<string, object?> session) =>
        Apply(clientId, id => new UpdateSessionCommand(id, new ReadOnlySequence<byte>(SerializeSession(session))));

    public ValueTask DeleteSession(string clientId) => Apply(clientId, id => new SetSessionCommand(id, ReadOnlySequence<byte>.Empty));

    // ---------------- plumbing ----------------

    /// <summary>
    /// A mutation of one client, built by <paramref name="command"/> from its connection number: completes when the
    /// gateway has applied it (an acknowledged call), so the client's next event and every later query see it. Bad
    /// arguments and an unknown gateway surface as a faulted task.
    /// </summary>
    private ValueTask Apply<TCommand>(string clientId, Func<ulong, TCommand> command) where TCommand : struct, ICommand<TCommand, NoResult>
    {
        try
        {
            GatewayLink link = _directory.Resolve(clientId, out ulong connectionId);
            return new(link.CallAsync<TCommand, NoResult>(command(connectionId), _options.CallTimeout, CancellationToken.None));
        }
        catch (Exception ex)
        {
            return ValueTask.FromException(ex);
        }
    }

    private enum FanOutTarget
    {
        All,
        Uids,
        Groups,
    }

    private ValueTask FanOut(FanOutTarget target, string[]? keys, ReadOnlyMemory<byte> message, IEnumerable<string>? excludeClients, SendFlags flags)
    {
        try
        {
            if (keys is not null)
            {
                foreach (string key in keys)
                {
                    RequireKey(key, target == FanOutTarget.Uids ? "uid" : "group");
                }
            }

            List<(string Key, ulong Id)>? exclude = null;
            if (excludeClients is not null)
            {
                foreach (string client in excludeClients)
                {
                    if (ClientId.TryParse(client, out ReadOnlySpan<char> key, out ulong id))
                    {
                        (exclude ??= []).Add((key.ToString(), id));
                    }
                }
            }

            GatewayLink[] links = _directory.Links;
            if (exclude is null)
            {
                // One frame, the same bytes to every gateway.
                ReadOnlySpan<byte> frame = BuildFanOut(target, keys, message, flags, []);
                foreach (GatewayLink link in links)
                {
                    link.Connection.TrySendSoon(frame);
                }
            }
            else
            {
                foreach (GatewayLink link in links)
                {
                    ulong[] excluded = [.. exclude.Where(e => e.Key == link.Key).Select(e => e.Id)];
                    link.Connection.TrySendSoon(BuildFanOut(target, keys, message, flags, excluded));
                }
            }

            return ValueTask.CompletedTask;
        }
        catch (Exception ex)
        {
            return ValueTask.FromException(ex);
        }
    }

    private static ReadOnlySpan<byte> BuildFanOut(FanOutTarget target, string[]? keys, ReadOnlyMemory<byte> message, SendFlags flags, ulong[] exclude)
    {
        var payload = new ReadOnlySequence<byte>(message);
        var excluded = new ULongList(exclude);
        return target switch
        {
            FanOutTarget.Uids => Frame.WriteCommand<SendToUidCommand, NoResult>(0, new SendToUidCommand(new StringList(keys!), payload, flags, excluded)),
            FanOutTarget.Groups => Frame.WriteCommand<SendToGroupCommand, NoResult>(0, new SendToGroupCommand(new StringList(keys!), payload, flags, excluded)),
            _ => Frame.WriteCommand<SendToAllCommand, NoResult>(0, new SendToAllCommand(payload, flags, excluded)),
        };
    }

    private static byte[] SerializeSession(IReadOnlyDictionary<string, object?> session)
    {
        ArgumentNullException.ThrowIfNull(session);
        var copy = new Dictionary<string, object?>(session.Count, StringComparer.Ordinal);
        foreach (KeyValuePair<string, object?> entry in session)
        {
            copy[entry.Key] = entry.Value;
        }

        return MessagePackSerializer.Serialize(copy, s_sessionOptions);
    }

    private static string RequireKey(string? value, string name)
    {
        if (string.IsNullOrEmpty(value))
        {
            throw new ArgumentException($"{name} must not be empty.", name);
        }

        return value;
    }
}
