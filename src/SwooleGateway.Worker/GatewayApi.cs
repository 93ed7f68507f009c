using System.Text;
using MessagePack;
using SwooleGateway.Protocol;

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
            var scratch = FrameCodec.BeginFrame();
            var w = new MessagePackWriter(scratch);
            WriteCommandHeader(ref w, 3, 0, CommandOp.SendToClient);
            w.Write(connectionId);
            w.Write(message.Span);
            w.Write((uint)flags);
            w.Flush();
            link.Send(FrameCodec.EndFrame(scratch));
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
        FanOut(CommandOp.SendToUid, [uid], message, excludeClients, flags);

    public ValueTask SendToUid(string uid, string message, IEnumerable<string>? excludeClients = null) =>
        FanOut(CommandOp.SendToUid, [uid], Encoding.UTF8.GetBytes(message), excludeClients, SendFlags.Text);

    /// <summary>Sends to every member of <paramref name="group"/> on every gateway, except <paramref name="excludeClients"/>.</summary>
    public ValueTask SendToGroup(string group, ReadOnlyMemory<byte> message, IEnumerable<string>? excludeClients = null, SendFlags flags = SendFlags.Auto) =>
        FanOut(CommandOp.SendToGroup, [group], message, excludeClients, flags);

    public ValueTask SendToGroup(string group, string message, IEnumerable<string>? excludeClients = null) =>
        FanOut(CommandOp.SendToGroup, [group], Encoding.UTF8.GetBytes(message), excludeClients, SendFlags.Text);

    /// <summary>Sends to every connected client on every gateway, except <paramref name="excludeClients"/>.</summary>
    public ValueTask SendToAll(ReadOnlyMemory<byte> message, IEnumerable<string>? excludeClients = null, SendFlags flags = SendFlags.Auto) =>
        FanOut(CommandOp.SendToAll, null, message, excludeClients, flags);

    public ValueTask SendToAll(string message, IEnumerable<string>? excludeClients = null) =>
        FanOut(CommandOp.SendToAll, null, Encoding.UTF8.GetBytes(message), excludeClients, SendFlags.Text);

    // ---------------- mutations ----------------

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
                var scratch = FrameCodec.BeginFrame();
                var w = new MessagePackWriter(scratch);
                WriteCommandHeader(ref w, 3, 0, CommandOp.SendToClients);
                w.WriteArrayHeader(ids.Count);
                foreach (ulong id in ids)
                {
                    w.Write(id);
                }

                w.Write(message.Span);
                w.Write((uint)flags);
                w.Flush();
                link.Send(FrameCodec.EndFrame(scratch));
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
        FanOut(CommandOp.SendToUid, [.. uids.Distinct(StringComparer.Ordinal)], message, excludeClients, flags);

    /// <summary>Sends to every member of any of <paramref name="groups"/>; a member of several of them receives it once.</summary>
    public ValueTask SendToGroups(IEnumerable<string> groups, ReadOnlyMemory<byte> message, IEnumerable<string>? excludeClients = null, SendFlags flags = SendFlags.Auto) =>
        FanOut(CommandOp.SendToGroup, [.. groups.Distinct(StringComparer.Ordinal)], message, excludeClients, flags);

    /// <summary>Closes a client: gracefully (queued messages, then <paramref name="lastMessage"/>, are delivered first) or forced (the socket is aborted).</summary>
    public ValueTask CloseClient(string clientId, bool force = false, ReadOnlyMemory<byte>? lastMessage = null, SendFlags flags = SendFlags.Auto)
    {
        try
        {
            GatewayLink link = _directory.Resolve(clientId, out ulong connectionId);
            return new ValueTask(CallAsync(link, CommandOp.CloseClient, (ref MessagePackWriter w) =>
            {
                w.Write(connectionId);
                w.Write(force);
                if (lastMessage is { } last)
                {
                    w.Write(last.Span);
                }
                else
                {
                    w.WriteNil();
                }

                w.Write((uint)flags);
            }, 4, static (ref MessagePackReader _, int _) => true, CancellationToken.None));
        }
        catch (Exception ex)
        {
            return ValueTask.FromException(ex);
        }
    }

    /// <summary>Binds a uid to a client (a client has at most one uid: the last bind wins).</summary>
    public ValueTask BindUid(string clientId, string uid) => OnClient(clientId, CommandOp.BindUid, uid, nameof(uid));

    public ValueTask UnbindUid(string clientId) => OnClient(clientId, CommandOp.UnbindUid, null, null);

    public ValueTask JoinGroup(string clientId, string group) => OnClient(clientId, CommandOp.JoinGroup, group, nameof(group));

    public ValueTask LeaveGroup(string clientId, string group) => OnClient(clientId, CommandOp.LeaveGroup, group, nameof(group));

    /// <summary>Dissolves a group on every gateway: all members leave it. Completes when every gateway has applied it.</summary>
    public async ValueTask Ungroup(string group)
    {
        RequireKey(group, nameof(group));
        await ScatterAsync(CommandOp.Ungroup, (ref MessagePackWriter w) => w.Write(group), 1, static (ref MessagePackReader _, int _) => true, CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>Replaces a client's session. Values must be MessagePack primitives, lists or maps.</summary>
    public ValueTask SetSession(string clientId, IReadOnlyDictionary<string, object?> session) =>
        OnClient(clientId, CommandOp.SetSession, null, null, SerializeSession(session));

    /// <summary>Merges keys into a client's session (keys not given are kept).</summary>
    public ValueTask UpdateSession(string clientId, IReadOnlyDictionary<string, object?> session) =>
        OnClient(clientId, CommandOp.UpdateSession, null, null, SerializeSession(session));

    public ValueTask DeleteSession(string clientId) => OnClient(clientId, CommandOp.SetSession, null, null, []);

    // ---------------- plumbing ----------------

    private static void WriteCommandHeader(ref MessagePackWriter w, int argumentCount, uint requestId, CommandOp op)
    {
        w.WriteArrayHeader(3 + argumentCount);
        w.Write((uint)MessageKind.Command);
        w.Write(requestId);
        w.Write((uint)op);
    }

    /// <summary>
    /// A mutation of one client: [connId, then the string argument or the bytes argument if given]. Completes when
    /// the gateway has applied it (an acknowledged call), so the client's next event and every later query see it.
    /// </summary>
    private ValueTask OnClient(string clientId, CommandOp op, string? argument, string? argumentName, byte[]? bytes = null)
    {
        try
        {
            if (argumentName is not null)
            {
                RequireKey(argument, argumentName);
            }

            GatewayLink link = _directory.Resolve(clientId, out ulong connectionId);
            return new ValueTask(CallAsync(link, op, (ref MessagePackWriter w) =>
            {
                w.Write(connectionId);
                if (argument is not null)
                {
                    w.Write(argument);
                }
                else if (bytes is not null)
                {
                    w.Write(bytes);
                }
            }, argument is null && bytes is null ? 1 : 2, static (ref MessagePackReader _, int _) => true, CancellationToken.None));
        }
        catch (Exception ex)
        {
            return ValueTask.FromException(ex);
        }
    }

    private ValueTask FanOut(CommandOp op, string[]? keys, ReadOnlyMemory<byte> message, IEnumerable<string>? excludeClients, SendFlags flags)
    {
        try
        {
            if (keys is not null)
            {
                foreach (string key in keys)
                {
                    RequireKey(key, op == CommandOp.SendToUid ? "uid" : "group");
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
                ReadOnlySpan<byte> frame = BuildFanOut(op, keys, message.Span, flags, null, null);
                foreach (GatewayLink link in links)
                {
                    link.Connection.TrySendSoon(frame);
                }
            }
            else
            {
                foreach (GatewayLink link in links)
                {
                    link.Connection.TrySendSoon(BuildFanOut(op, keys, message.Span, flags, exclude, link.Key));
                }
            }

            return ValueTask.CompletedTask;
        }
        catch (Exception ex)
        {
            return ValueTask.FromException(ex);
        }
    }

    private static ReadOnlySpan<byte> BuildFanOut(CommandOp op, string[]? keys, ReadOnlySpan<byte> message, SendFlags flags, List<(string Key, ulong Id)>? exclude, string? gatewayKey)
    {
        var scratch = FrameCodec.BeginFrame();
        var w = new MessagePackWriter(scratch);
        WriteCommandHeader(ref w, keys is null ? 3 : 4, 0, op);
        if (keys is not null)
        {
            w.WriteArrayHeader(keys.Length);
            foreach (string key in keys)
            {
                w.Write(key);
            }
        }

        w.Write(message);
        w.Write((uint)flags);
        int count = 0;
        if (exclude is not null)
        {
            foreach ((string key, _) in exclude)
            {
                count += key == gatewayKey ? 1 : 0;
            }
        }

        w.WriteArrayHeader(count);
        if (count > 0)
        {
            foreach ((string key, ulong id) in exclude!)
            {
                if (key == gatewayKey)
                {
                    w.Write(id);
                }
            }
        }

        w.Flush();
        return FrameCodec.EndFrame(scratch);
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
