using System.Runtime.CompilerServices;
using MessagePack;
using SwooleGateway.Protocol;
using SwooleGateway.Protocol.Commands;

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
        BytesResult result = await link.CallAsync<GetSessionCommand, BytesResult>(new GetSessionCommand(connectionId), _options.CallTimeout, cancellationToken).ConfigureAwait(false);
        return DecodeSession(result.Bytes);
    }

    /// <summary>True when the client is connected. False for a malformed id, an unknown gateway or a closed client.</summary>
    public async Task<bool> IsOnline(string clientId, CancellationToken cancellationToken = default)
    {
        GatewayLink? link = _directory.TryResolve(clientId, out ulong connectionId);
        if (link is null)
        {
            return false;
        }

        return (await link.CallAsync<IsOnlineCommand, BoolResult>(new IsOnlineCommand(connectionId), _options.CallTimeout, cancellationToken).ConfigureAwait(false)).Value;
    }

    /// <summary>What the gateway knows of a client (only the <paramref name="fields"/> asked for); null when it is gone.</summary>
    public async Task<ClientInfo?> GetClientInfo(string clientId, ClientInfoFlags fields = ClientInfoFlags.All, CancellationToken cancellationToken = default)
    {
        GatewayLink link = _directory.Resolve(clientId, out ulong connectionId);
        ClientInfoResult result = await link.CallAsync<GetClientInfoCommand, ClientInfoResult>(
            new GetClientInfoCommand(connectionId, fields), _options.CallTimeout, cancellationToken).ConfigureAwait(false);
        if (result.Info is not { } info)
        {
            return null;
        }

        bool system = info.Fields.HasFlag(ClientInfoFlags.System);
        return new ClientInfo
        {
            ClientId = clientId,
            RemoteAddress = info.Fields.HasFlag(ClientInfoFlags.RemoteAddress) ? info.RemoteAddress : null,
            RemotePort = info.Fields.HasFlag(ClientInfoFlags.RemotePort) ? info.RemotePort : null,
            Uid = info.Uid,
            Session = info.Fields.HasFlag(ClientInfoFlags.Session) ? DecodeSession(info.Session) : null,
            Groups = info.Fields.HasFlag(ClientInfoFlags.Groups) ? info.Groups ?? [] : null,
            Transport = system ? info.Transport : null,
            Listener = system ? info.Listener : null,
            ConnectedAt = system ? DateTimeOffset.FromUnixTimeMilliseconds(info.ConnectedAt) : null,
            BytesIn = system ? info.BytesIn : null,
            BytesOut = system ? info.BytesOut : null,
            MessagesIn = system ? info.MessagesIn : null,
            MessagesOut = system ? info.MessagesOut : null,
        };
    }

    /// <summary>The uid bound to a client, or null (none, or the client is gone).</summary>
    public async Task<string?> GetUidByClient(string clientId, CancellationToken cancellationToken = default) =>
        (await GetClientInfo(clientId, ClientInfoFlags.Uid, cancellationToken).ConfigureAwait(false))?.Uid;

    /// <summary>True when any client on any gateway is bound to <paramref name="uid"/>.</summary>
    public async Task<bool> IsUidOnline(string uid, CancellationToken cancellationToken = default)
    {
        RequireKey(uid, nameof(uid));
        List<bool> answers = await ScatterAsync<IsUidOnlineCommand, BoolResult, bool>(new IsUidOnlineCommand(uid), static r => r.Value, cancellationToken).ConfigureAwait(false);
        return answers.Contains(true);
    }

    /// <summary>
    /// Number of connected clients bound to <paramref name="uid"/> on all gateways: how many devices or tabs a user has
    /// open (0 when offline). Exact; one round trip to each gateway.
    /// </summary>
    public async Task<int> GetClientCountByUid(string uid, CancellationToken cancellationToken = default)
    {
        RequireKey(uid, nameof(uid));
        return (await ScatterAsync<GetClientCountByUidCommand, CountResult, int>(new GetClientCountByUidCommand(uid), Count, cancellationToken).ConfigureAwait(false)).Sum();
    }

    /// <summary>Exact number of connected clients on all gateways.</summary>
    public async Task<int> GetClientCount(CancellationToken cancellationToken = default) =>
        (await ScatterAsync<GetClientCountCommand, CountResult, int>(default, Count, cancellationToken).ConfigureAwait(false)).Sum();

    /// <summary>Exact number of members of <paramref name="group"/> on all gateways.</summary>
    public async Task<int> GetClientCountByGroup(string group, CancellationToken cancellationToken = default)
    {
        RequireKey(group, nameof(group));
        return (await ScatterAsync<GetClientCountByGroupCommand, CountResult, int>(new GetClientCountByGroupCommand(group), Count, cancellationToken).ConfigureAwait(false)).Sum();
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
            return (await ScatterAsync<GetUidCountCommand, CountResult, int>(default, Count, cancellationToken).ConfigureAwait(false)).Sum();
        }

        return await CountAsync(GetUidList(unique: true, cancellationToken)).ConfigureAwait(false);
    }

    /// <summary>Exact number of distinct uids among the members of <paramref name="group"/> (merged across gateways like <see cref="GetUidCount"/>).</summary>
    public async Task<int> GetUidCountByGroup(string group, CancellationToken cancellationToken = default)
    {
        RequireKey(group, nameof(group));
        if (_directory.Links.Length <= 1)
        {
            return (await ScatterAsync<GetUidCountByGroupCommand, CountResult, int>(new GetUidCountByGroupCommand(group), Count, cancellationToken).ConfigureAwait(false)).Sum();
        }

        return await CountAsync(GetUidListByGroup(group, unique: true, cancellationToken)).ConfigureAwait(false);
    }

    /// <summary>All connected clients, gateway by gateway, in a stable order; resumes after <paramref name="prevClient"/>.</summary>
    public IAsyncEnumerable<string> GetClientList(string? prevClient = null, CancellationToken cancellationToken = default) =>
        ListClientsAsync(ListScope.All, null, prevClient, cancellationToken);

    /// <summary>The members of <paramref name="group"/> on all gateways; resumes after <paramref name="prevClient"/>.</summary>
    public IAsyncEnumerable<string> GetClientListByGroup(string group, string? prevClient = null, CancellationToken cancellationToken = default) =>
        ListClientsAsync(ListScope.Group, RequireKey(group, nameof(group)), prevClient, cancellationToken);

    /// <summary>The clients bound to <paramref name="uid"/> on all gateways (multi-device login); resumes after <paramref name="prevClient"/>.</summary>
    public IAsyncEnumerable<string> GetClientListByUid(string uid, string? prevClient = null, CancellationToken cancellationToken = default) =>
        ListClientsAsync(ListScope.Uid, RequireKey(uid, nameof(uid)), prevClient, cancellationToken);

    /// <summary>Uids online, in ordinal order. <paramref name="unique"/>: each once; otherwise once per gateway that holds it.</summary>
    public IAsyncEnumerable<string> GetUidList(bool unique = true, CancellationToken cancellationToken = default) =>
        ListNamesAsync(NameList.Uids, null, unique, cancellationToken);

    /// <summary>Uids among the members of <paramref name="group"/>, in ordinal order.</summary>
    public IAsyncEnumerable<string> GetUidListByGroup(string group, bool unique = true, CancellationToken cancellationToken = default) =>
        ListNamesAsync(NameList.Uids, RequireKey(group, nameof(group)), unique, cancellationToken);

    /// <summary>Groups with at least one member, in ordinal order.</summary>
    public IAsyncEnumerable<string> GetGroupList(bool unique = true, CancellationToken cancellationToken = default) =>
        ListNamesAsync(NameList.Groups, null, unique, cancellationToken);

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
                SessionPage page = await PageAsync<GetSessionsByGroupCommand, SessionPage>(
                    link, new GetSessionsByGroupCommand(group, after, (uint)PageSize), cancellationToken).ConfigureAwait(false);
                foreach ((ulong id, byte[]? session) in page.Items)
                {
                    yield return (ClientId.Encode(link.Advertised, id), DecodeSession(session));
                }

                if (!page.More || page.Items.Count == 0)
                {
                    break;
                }

                after = page.Items[^1].Id;
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
            else if (calls[i].Exception?.InnerException is GatewayCommandException refused)
            {
                // The command itself failed or is unknown: not a reachability problem. Rethrown with its own stack trace.
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(refused);
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

    private async Task<byte[]?> CallCustom(GatewayLink link, string name, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken) =>
        (await link.CallAsync<CustomCommand, BytesResult>(new CustomCommand(name, new System.Buffers.ReadOnlySequence<byte>(payload)), _options.CallTimeout, cancellationToken)
            .ConfigureAwait(false)).Bytes;

    // ---------------- plumbing ----------------

    /// <summary>One page of a list: a gateway that does not answer ends the list with <see cref="IncompleteResultException"/>, never a silent gap.</summary>
    private async Task<TResult> PageAsync<TCommand, TResult>(GatewayLink link, TCommand command, CancellationToken cancellationToken)
        where TCommand : struct, ICommand<TCommand, TResult>
        where TResult : struct, IWireFields<TResult>
    {
        try
        {
            return await link.CallAsync<TCommand, TResult>(command, _options.CallTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TimeoutException or GatewayUnavailableException)
        {
            throw new IncompleteResultException([link.Advertised.ToString()], null, ex.Message);
        }
    }

    /// <summary>
    /// Sends one query to every gateway in parallel and gathers what <paramref name="select"/> takes of each answer; throws
    /// <see cref="IncompleteResultException"/> (with the answers of the others) when one is missing.
    /// </summary>
    private async Task<List<TValue>> ScatterAsync<TCommand, TResult, TValue>(TCommand command, Func<TResult, TValue> select, CancellationToken cancellationToken)
        where TCommand : struct, ICommand<TCommand, TResult>
        where TResult : struct, IWireFields<TResult>
    {
        (GatewayLink[] links, List<string> unreachable) = _directory.Targets();
        Task<TResult>[] calls = [.. links.Select(l => l.CallAsync<TCommand, TResult>(command, _options.CallTimeout, cancellationToken))];
        await Task.WhenAll(calls).ContinueWith(static _ => { }, TaskScheduler.Default).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        var results = new List<TValue>(links.Length);
        var missing = new List<string>(unreachable);
        string detail = unreachable.Count > 0 ? "listed by the register but not connected" : "";
        for (int i = 0; i < links.Length; i++)
        {
            if (calls[i].IsCompletedSuccessfully)
            {
                results.Add(select(calls[i].Result));
            }
            else if (links[i].LeftGracefully && calls[i].Exception?.InnerException is GatewayUnavailableException or IOException or OperationCanceledException)
            {
                // It said it is leaving while the query was out (its clients are being closed): not missing, just gone.
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

    private static int Count(CountResult result) => (int)result.Count;

    private static async Task<int> CountAsync(IAsyncEnumerable<string> items)
    {
        int count = 0;
        await foreach (string _ in items.ConfigureAwait(false))
        {
            count++;
        }

        return count;
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

    private async IAsyncEnumerable<string> ListClientsAsync(ListScope scope, string? key, string? prevClient, [EnumeratorCancellation] CancellationToken cancellationToken)
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
                ClientIdPage page = await PageAsync<ListClientsCommand, ClientIdPage>(
                    link, new ListClientsCommand(scope, key, after, (uint)PageSize), cancellationToken).ConfigureAwait(false);
                foreach (ulong id in page.Ids)
                {
                    yield return ClientId.Encode(link.Advertised, id);
                }

                if (!page.More || page.Ids.Length == 0)
                {
                    break;
                }

                after = page.Ids[^1];
            }
        }
    }

    private enum NameList
    {
        Uids,
        Groups,
    }

    /// <summary>Uid or group names from every gateway: merged in ordinal order (distinct when <paramref name="unique"/>), or gateway after gateway.</summary>
    private async IAsyncEnumerable<string> ListNamesAsync(NameList list, string? group, bool unique, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        GatewayLink[] links = OrderedTargets();
        if (!unique)
        {
            foreach (GatewayLink link in links)
            {
                await foreach (string item in NameCursor(link, list, group, cancellationToken).ConfigureAwait(false))
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
                IAsyncEnumerator<string> cursor = NameCursor(link, list, group, cancellationToken).GetAsyncEnumerator(cancellationToken);
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

    private async IAsyncEnumerable<string> NameCursor(GatewayLink link, NameList list, string? group, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string? after = null;
        while (true)
        {
            NamePage page = list == NameList.Uids
                ? await PageAsync<ListUidsCommand, NamePage>(link, new ListUidsCommand(group, after, (uint)PageSize), cancellationToken).ConfigureAwait(false)
                : await PageAsync<ListGroupsCommand, NamePage>(link, new ListGroupsCommand(after, (uint)PageSize), cancellationToken).ConfigureAwait(false);
            foreach (string item in page.Names)
            {
                yield return item;
            }

            if (!page.More || page.Names.Length == 0)
            {
                yield break;
            }

            after = page.Names[^1];
        }
    }

    private static IReadOnlyDictionary<string, object?>? DecodeSession(byte[]? bytes) =>
        bytes is null or { Length: 0 } ? null : MessagePackSerializer.Deserialize<Dictionary<string, object?>>(bytes, s_untrusted);
}
