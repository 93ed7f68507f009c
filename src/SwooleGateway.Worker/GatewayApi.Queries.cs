using System.Buffers;
using System.Runtime.CompilerServices;
using MessagePack;
using SwooleGateway.Protocol;

namespace SwooleGateway.Worker;

// Queries: one-client queries go to that client's gateway; cluster-wide ones scatter to every gateway in
// parallel with the call timeout and gather. A gateway that is listed but unreachable, or does not answer
// in time, makes the query throw IncompleteResultException naming it.
public sealed partial class GatewayApi
{
    private int PageSize => Math.Clamp(_options.ListPageSize, 1, 10_000);

    private static readonly MessagePackSerializerOptions s_untrusted = MessagePackSerializerOptions.Standard.WithSecurity(MessagePackSecurity.UntrustedData);

    /// <summary>The client's session, or null when it has none or is gone.</summary>
    public async Task<IReadOnlyDictionary<string, object?>?> GetSession(string clientId, CancellationToken cancellationToken = default)
    {
        GatewayLink link = _directory.Resolve(clientId, out ulong connectionId);
        byte[]? bytes = await CallAsync(link, CommandOp.GetSession, (ref MessagePackWriter w) => w.Write(connectionId), 1, ReadOptionalBytes, cancellationToken).ConfigureAwait(false);
        return DecodeSession(bytes);
    }

    /// <summary>True when the client is connected. False for a malformed id, an unknown gateway or a closed client.</summary>
    public async Task<bool> IsOnline(string clientId, CancellationToken cancellationToken = default)
    {
        GatewayLink? link = _directory.TryResolve(clientId, out ulong connectionId);
        if (link is null)
        {
            return false;
        }

        return await CallAsync(link, CommandOp.IsOnline, (ref MessagePackWriter w) => w.Write(connectionId), 1, ReadBool, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>What the gateway knows of a client (only the <paramref name="fields"/> asked for); null when it is gone.</summary>
    public async Task<ClientInfo?> GetClientInfo(string clientId, ClientInfoFlags fields = ClientInfoFlags.All, CancellationToken cancellationToken = default)
    {
        GatewayLink link = _directory.Resolve(clientId, out ulong connectionId);
        Dictionary<string, object?>? map = await CallAsync(link, CommandOp.GetClientInfo, (ref MessagePackWriter w) =>
        {
            w.Write(connectionId);
            w.Write((uint)fields);
        }, 2, static (ref MessagePackReader r, int n) =>
            n < 1 || r.TryReadNil() ? null : MessagePackSerializer.Deserialize<Dictionary<string, object?>>(ref r, s_untrusted), cancellationToken).ConfigureAwait(false);
        if (map is null)
        {
            return null;
        }

        return new ClientInfo
        {
            ClientId = clientId,
            RemoteAddress = map.GetValueOrDefault("ip") as string,
            RemotePort = map.TryGetValue("port", out object? port) ? Convert.ToInt32(port, System.Globalization.CultureInfo.InvariantCulture) : null,
            Uid = map.GetValueOrDefault("uid") as string,
            Session = fields.HasFlag(ClientInfoFlags.Session) ? DecodeSession(map.GetValueOrDefault("session") as byte[]) : null,
            Groups = map.GetValueOrDefault("groups") is object[] groups ? [.. groups.Cast<string>()] : (fields.HasFlag(ClientInfoFlags.Groups) ? [] : null),
            Transport = map.GetValueOrDefault("transport") as string,
            Listener = map.GetValueOrDefault("listener") as string,
            ConnectedAt = map.TryGetValue("connectedAt", out object? at) ? DateTimeOffset.FromUnixTimeMilliseconds(Convert.ToInt64(at, System.Globalization.CultureInfo.InvariantCulture)) : null,
            BytesIn = Long(map, "bytesIn"),
            BytesOut = Long(map, "bytesOut"),
            MessagesIn = Long(map, "messagesIn"),
            MessagesOut = Long(map, "messagesOut"),
        };

        static long? Long(Dictionary<string, object?> map, string key) =>
            map.TryGetValue(key, out object? v) ? Convert.ToInt64(v, System.Globalization.CultureInfo.InvariantCulture) : null;
    }

    /// <summary>The uid bound to a client, or null (none, or the client is gone).</summary>
    public async Task<string?> GetUidByClient(string clientId, CancellationToken cancellationToken = default) =>
        (await GetClientInfo(clientId, ClientInfoFlags.Uid, cancellationToken).ConfigureAwait(false))?.Uid;

    /// <summary>True when any client on any gateway is bound to <paramref name="uid"/>.</summary>
    public async Task<bool> IsUidOnline(string uid, CancellationToken cancellationToken = default)
    {
        RequireKey(uid, nameof(uid));
        List<bool> answers = await ScatterAsync(CommandOp.IsUidOnline, (ref MessagePackWriter w) => w.Write(uid), 1, ReadBool, cancellationToken).ConfigureAwait(false);
        return answers.Contains(true);
    }

    /// <summary>Exact number of connected clients on all gateways.</summary>
    public async Task<int> GetClientCount(CancellationToken cancellationToken = default) =>
        (await ScatterAsync(CommandOp.GetClientCount, null, 0, ReadCount, cancellationToken).ConfigureAwait(false)).Sum();

    /// <summary>Exact number of members of <paramref name="group"/> on all gateways.</summary>
    public async Task<int> GetClientCountByGroup(string group, CancellationToken cancellationToken = default)
    {
        RequireKey(group, nameof(group));
        return (await ScatterAsync(CommandOp.GetClientCountByGroup, (ref MessagePackWriter w) => w.Write(group), 1, ReadCount, cancellationToken).ConfigureAwait(false)).Sum();
    }

    /// <summary>
    /// Number of distinct uids online. Exact by default: with one gateway a single count; with several, the
    /// sorted uid lists of all gateways are merged (cost: every uid crosses the network once; memory: one page per
    /// gateway). <paramref name="exact"/> = false sums the gateways' own counts instead: one round trip, but a uid
    /// logged in on two gateways counts twice.
    /// </summary>
    public async Task<int> GetUidCount(bool exact = true, CancellationToken cancellationToken = default)
    {
        if (!exact || _directory.Links.Length <= 1)
        {
            return (await ScatterAsync(CommandOp.GetUidCount, null, 0, ReadCount, cancellationToken).ConfigureAwait(false)).Sum();
        }

        int count = 0;
        await foreach (string _ in GetUidList(unique: true, cancellationToken).ConfigureAwait(false))
        {
            count++;
        }

        return count;
    }

    /// <summary>Exact number of distinct uids among the members of <paramref name="group"/> (merged across gateways like <see cref="GetUidCount"/>).</summary>
    public async Task<int> GetUidCountByGroup(string group, CancellationToken cancellationToken = default)
    {
        RequireKey(group, nameof(group));
        if (_directory.Links.Length <= 1)
        {
            return (await ScatterAsync(CommandOp.GetUidCountByGroup, (ref MessagePackWriter w) => w.Write(group), 1, ReadCount, cancellationToken).ConfigureAwait(false)).Sum();
        }

        int count = 0;
        await foreach (string _ in GetUidListByGroup(group, unique: true, cancellationToken).ConfigureAwait(false))
        {
            count++;
        }

        return count;
    }

    /// <summary>All connected clients, gateway by gateway, in a stable order; resumes after <paramref name="prevClient"/>.</summary>
    public IAsyncEnumerable<string> GetClientList(string? prevClient = null, CancellationToken cancellationToken = default) =>
        ListClientsAsync(0, null, prevClient, cancellationToken);

    /// <summary>The members of <paramref name="group"/> on all gateways; resumes after <paramref name="prevClient"/>.</summary>
    public IAsyncEnumerable<string> GetClientListByGroup(string group, string? prevClient = null, CancellationToken cancellationToken = default) =>
        ListClientsAsync(1, RequireKey(group, nameof(group)), prevClient, cancellationToken);

    /// <summary>The clients bound to <paramref name="uid"/> on all gateways (multi-device login); resumes after <paramref name="prevClient"/>.</summary>
    public IAsyncEnumerable<string> GetClientListByUid(string uid, string? prevClient = null, CancellationToken cancellationToken = default) =>
        ListClientsAsync(2, RequireKey(uid, nameof(uid)), prevClient, cancellationToken);

    /// <summary>Uids online, in ordinal order. <paramref name="unique"/>: each once; otherwise once per gateway that holds it.</summary>
    public IAsyncEnumerable<string> GetUidList(bool unique = true, CancellationToken cancellationToken = default) =>
        ListKeysAsync(CommandOp.ListUids, null, unique, cancellationToken);

    /// <summary>Uids among the members of <paramref name="group"/>, in ordinal order.</summary>
    public IAsyncEnumerable<string> GetUidListByGroup(string group, bool unique = true, CancellationToken cancellationToken = default) =>
        ListKeysAsync(CommandOp.ListUids, RequireKey(group, nameof(group)), unique, cancellationToken);

    /// <summary>Groups with at least one member, in ordinal order.</summary>
    public IAsyncEnumerable<string> GetGroupList(bool unique = true, CancellationToken cancellationToken = default) =>
        ListKeysAsync(CommandOp.ListGroups, null, unique, cancellationToken);

    /// <summary>The session of every member of <paramref name="group"/> (null for members without one).</summary>
    public async IAsyncEnumerable<(string ClientId, IReadOnlyDictionary<string, object?>? Session)> GetSessionsByGroup(
        string group, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        RequireKey(group, nameof(group));
        foreach (GatewayLink link in OrderedTargets())
        {
            ulong after = 0;
            while (true)
            {
                ulong from = after;
                (List<(ulong Id, byte[]? Session)> page, bool more) = await PageAsync(link, CommandOp.GetSessionsByGroup, (ref MessagePackWriter w) =>
                {
                    w.Write(group);
                    w.Write(from);
                    w.Write((uint)PageSize);
                }, 3, static (ref MessagePackReader r, int n) =>
                {
                    int count = r.ReadArrayHeader();
                    var items = new List<(ulong, byte[]?)>(count);
                    for (int i = 0; i < count; i++)
                    {
                        r.ReadArrayHeader();
                        ulong id = r.ReadUInt64();
                        items.Add((id, r.TryReadNil() ? null : r.ReadBytes()?.ToArray()));
                    }

                    return (items, r.ReadBoolean());
                }, cancellationToken).ConfigureAwait(false);
                foreach ((ulong id, byte[]? session) in page)
                {
                    yield return (ClientId.Encode(link.Advertised, id), DecodeSession(session));
                }

                if (!more || page.Count == 0)
                {
                    break;
                }

                after = page[^1].Id;
            }
        }
    }

    // ---------------- custom commands ----------------

    /// <summary>Calls a custom command (registered on gateways with <c>AddSwooleGatewayCommand</c>) on the gateway that holds <paramref name="clientId"/>.</summary>
    public Task<byte[]?> CallCommand(string clientId, string name, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default)
    {
        GatewayLink link = _directory.Resolve(clientId, out _);
        return CallCustom(link, name, payload, cancellationToken);
    }

    /// <summary>Calls a custom command on every gateway; the replies by gateway address.</summary>
    public async Task<IReadOnlyDictionary<string, byte[]?>> CallCommandOnAll(string name, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default)
    {
        RequireKey(name, nameof(name));
        (GatewayLink[] links, List<string> unreachable) = _directory.Targets();
        var results = new Dictionary<string, byte[]?>(StringComparer.Ordinal);
        var missing = new List<string>(unreachable);
        Task<byte[]?>[] calls = [.. links.Select(l => CallCustom(l, name, payload, cancellationToken))];
        await Task.WhenAll(calls).ContinueWith(static _ => { }, TaskScheduler.Default).ConfigureAwait(false);
        for (int i = 0; i < links.Length; i++)
        {
            if (calls[i].IsCompletedSuccessfully)
            {
                results[links[i].Advertised.ToString()] = calls[i].Result;
            }
            else if (calls[i].Exception?.InnerException is InvalidOperationException refused)
            {
                throw refused; // the command itself failed or is unknown: not a reachability problem
            }
            else
            {
                missing.Add(links[i].Advertised.ToString());
            }
        }

        cancellationToken.ThrowIfCancellationRequested();
        if (missing.Count > 0)
        {
            throw new IncompleteResultException(missing, results, "unreachable or timed out");
        }

        return results;
    }

    private Task<byte[]?> CallCustom(GatewayLink link, string name, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken) =>
        CallAsync(link, CommandOp.Custom, (ref MessagePackWriter w) =>
        {
            w.Write(name);
            w.Write(payload.Span);
        }, 2, ReadOptionalBytes, cancellationToken);

    // ---------------- plumbing ----------------

    private delegate void ArgsWriterAction(ref MessagePackWriter writer);

    /// <summary>One page of a list: a gateway that does not answer ends the list with <see cref="IncompleteResultException"/>, never a silent gap.</summary>
    private async Task<T> PageAsync<T>(GatewayLink link, CommandOp op, ArgsWriterAction args, int argumentCount, ReplyParser<T> parser, CancellationToken cancellationToken)
    {
        try
        {
            return await CallAsync(link, op, args, argumentCount, parser, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TimeoutException or GatewayUnavailableException)
        {
            throw new IncompleteResultException([link.Advertised.ToString()], null, ex.Message);
        }
    }

    private Task<T> CallAsync<T>(GatewayLink link, CommandOp op, ArgsWriterAction? args, int argumentCount, ReplyParser<T> parser, CancellationToken cancellationToken)
    {
        uint requestId = link.NextRequestId();
        var scratch = FrameCodec.BeginFrame();
        var w = new MessagePackWriter(scratch);
        WriteCommandHeader(ref w, argumentCount, requestId, op);
        args?.Invoke(ref w);
        w.Flush();
        return link.CallAsync(requestId, FrameCodec.EndFrame(scratch), parser, _options.CallTimeout, cancellationToken);
    }

    /// <summary>Sends one query to every gateway in parallel and gathers; throws <see cref="IncompleteResultException"/> when one is missing.</summary>
    private async Task<List<T>> ScatterAsync<T>(CommandOp op, ArgsWriterAction? args, int argumentCount, ReplyParser<T> parser, CancellationToken cancellationToken)
    {
        (GatewayLink[] links, List<string> unreachable) = _directory.Targets();
        Task<T>[] calls = [.. links.Select(l => CallAsync(l, op, args, argumentCount, parser, cancellationToken))];
        await Task.WhenAll(calls).ContinueWith(static _ => { }, TaskScheduler.Default).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        var results = new List<T>(links.Length);
        var missing = new List<string>(unreachable);
        string detail = unreachable.Count > 0 ? "listed by the register but not connected" : "";
        for (int i = 0; i < links.Length; i++)
        {
            if (calls[i].IsCompletedSuccessfully)
            {
                results.Add(calls[i].Result);
            }
            else
            {
                missing.Add(links[i].Advertised.ToString());
                detail = calls[i].Exception?.InnerException?.Message ?? "failed";
            }
        }

        if (missing.Count > 0)
        {
            throw new IncompleteResultException(missing, results, detail);
        }

        return results;
    }

    /// <summary>Open links ordered by gateway key; throws when a listed gateway is not connected (a list would silently miss it).</summary>
    private GatewayLink[] OrderedTargets()
    {
        (GatewayLink[] links, List<string> unreachable) = _directory.Targets();
        if (unreachable.Count > 0)
        {
            throw new IncompleteResultException(unreachable, null, "listed by the register but not connected");
        }

        Array.Sort(links, static (a, b) => string.CompareOrdinal(a.Key, b.Key));
        return links;
    }

    private async IAsyncEnumerable<string> ListClientsAsync(uint scope, string? key, string? prevClient, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string? startKey = null;
        ulong startAfter = 0;
        if (prevClient is not null)
        {
            if (!ClientId.TryParse(prevClient, out ReadOnlySpan<char> prevKey, out startAfter))
            {
                throw new ArgumentException($"'{prevClient}' is not a client id.", nameof(prevClient));
            }

            startKey = prevKey.ToString();
        }

        foreach (GatewayLink link in OrderedTargets())
        {
            int order = startKey is null ? 1 : string.CompareOrdinal(link.Key, startKey);
            if (order < 0)
            {
                continue; // before the gateway of prevClient
            }

            ulong after = order == 0 ? startAfter : 0;
            while (true)
            {
                ulong from = after;
                (List<ulong> page, bool more) = await PageAsync(link, CommandOp.ListClients, (ref MessagePackWriter w) =>
                {
                    w.Write(scope);
                    w.Write(key);
                    w.Write(from);
                    w.Write((uint)PageSize);
                }, 4, ReadIdPage, cancellationToken).ConfigureAwait(false);
                foreach (ulong id in page)
                {
                    yield return ClientId.Encode(link.Advertised, id);
                }

                if (!more || page.Count == 0)
                {
                    break;
                }

                after = page[^1];
            }
        }
    }

    /// <summary>Uid or group names from every gateway: merged in ordinal order (distinct when <paramref name="unique"/>), or gateway after gateway.</summary>
    private async IAsyncEnumerable<string> ListKeysAsync(CommandOp op, string? group, bool unique, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        GatewayLink[] links = OrderedTargets();
        if (!unique)
        {
            foreach (GatewayLink link in links)
            {
                await foreach (string item in KeyCursor(link, op, group, cancellationToken).ConfigureAwait(false))
                {
                    yield return item;
                }
            }

            yield break;
        }

        // k-way merge of the gateways' sorted streams, dropping repeats.
        var cursors = new List<IAsyncEnumerator<string>>();
        var heads = new PriorityQueue<IAsyncEnumerator<string>, string>(StringComparer.Ordinal);
        try
        {
            foreach (GatewayLink link in links)
            {
                IAsyncEnumerator<string> cursor = KeyCursor(link, op, group, cancellationToken).GetAsyncEnumerator(cancellationToken);
                cursors.Add(cursor);
                if (await cursor.MoveNextAsync().ConfigureAwait(false))
                {
                    heads.Enqueue(cursor, cursor.Current);
                }
            }

            string? last = null;
            while (heads.TryDequeue(out IAsyncEnumerator<string>? cursor, out string? item))
            {
                if (last is null || !string.Equals(last, item, StringComparison.Ordinal))
                {
                    yield return item;
                    last = item;
                }

                if (await cursor.MoveNextAsync().ConfigureAwait(false))
                {
                    heads.Enqueue(cursor, cursor.Current);
                }
            }
        }
        finally
        {
            foreach (IAsyncEnumerator<string> cursor in cursors)
            {
                await cursor.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private async IAsyncEnumerable<string> KeyCursor(GatewayLink link, CommandOp op, string? group, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string? after = null;
        while (true)
        {
            string? from = after;
            (List<string> page, bool more) = await PageAsync(link, op, (ref MessagePackWriter w) =>
            {
                if (op == CommandOp.ListUids)
                {
                    w.Write(group);
                }

                w.Write(from);
                w.Write((uint)PageSize);
            }, op == CommandOp.ListUids ? 3 : 2, ReadStringPage, cancellationToken).ConfigureAwait(false);
            foreach (string item in page)
            {
                yield return item;
            }

            if (!more || page.Count == 0)
            {
                yield break;
            }

            after = page[^1];
        }
    }

    private static bool ReadBool(ref MessagePackReader r, int n) => n >= 1 && r.ReadBoolean();

    private static int ReadCount(ref MessagePackReader r, int n) => n >= 1 ? (int)r.ReadUInt32() : 0;

    private static byte[]? ReadOptionalBytes(ref MessagePackReader r, int n)
    {
        if (n < 1 || r.TryReadNil())
        {
            return null;
        }

        ReadOnlySequence<byte>? bytes = r.ReadBytes();
        return bytes is { } b ? b.ToArray() : null;
    }

    private static (List<ulong>, bool) ReadIdPage(ref MessagePackReader r, int n)
    {
        int count = r.ReadArrayHeader();
        var ids = new List<ulong>(count);
        for (int i = 0; i < count; i++)
        {
            ids.Add(r.ReadUInt64());
        }

        return (ids, r.ReadBoolean());
    }

    private static (List<string>, bool) ReadStringPage(ref MessagePackReader r, int n)
    {
        int count = r.ReadArrayHeader();
        var items = new List<string>(count);
        for (int i = 0; i < count; i++)
        {
            items.Add(r.ReadString() ?? "");
        }

        return (items, r.ReadBoolean());
    }

    private static IReadOnlyDictionary<string, object?>? DecodeSession(byte[]? bytes) =>
        bytes is null or { Length: 0 } ? null : MessagePackSerializer.Deserialize<Dictionary<string, object?>>(bytes, s_untrusted);
}
