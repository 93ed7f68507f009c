using System.Buffers;
using System.Collections.Concurrent;
using SwooleGateway.Protocol;

namespace SwooleGateway.Gateway.Clients;

/// <summary>
/// This gateway's tables: connection number → connection, uid → connections, group → connections.
/// Lookups by number are lock-free; uid and group membership changes take one lock for a few hash operations. A
/// fan-out copies the members under the lock into a pooled array and sends outside it, so binds, joins and closes
/// never wait behind a send to a large group (only behind the copy of its member references).
/// </summary>
internal sealed class ClientStore
{
    private readonly ConcurrentDictionary<ulong, ClientConnection> _connections = new();
    private readonly Dictionary<string, HashSet<ClientConnection>> _uids = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<ClientConnection>> _groups = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    private long _churn;

    public int Count => _connections.Count;

    /// <summary>Clients that joined or left the tables since start (for <see cref="Hosting.MemoryTrimmer"/>).</summary>
    public long Churn => Interlocked.Read(ref _churn);

    /// <summary>All connections, walked without a lock or a snapshot copy.</summary>
    public ConcurrentDictionary<ulong, ClientConnection> Connections => _connections;

    public void Add(ClientConnection connection)
    {
        _connections[connection.Id] = connection;
        Interlocked.Increment(ref _churn);
    }

    public ClientConnection? Find(ulong id) => _connections.TryGetValue(id, out ClientConnection? c) ? c : null;

    /// <summary>Removes a closed connection from every table and returns the uid and groups it had.</summary>
    public (string? Uid, string[] Groups) Remove(ClientConnection connection)
    {
        if (_connections.TryRemove(connection.Id, out _))
        {
            Interlocked.Increment(ref _churn);
        }

        lock (_gate)
        {
            connection.StoreEntry.Removed = true;
            string? uid = connection.StoreEntry.Uid;
            if (uid is not null)
            {
                RemoveFrom(_uids, uid, connection);
                connection.StoreEntry.Uid = null;
            }

            string[] groups = [];
            if (connection.StoreEntry.Groups is { } set)
            {
                groups = [.. set];
                foreach (string group in set)
                {
                    RemoveFrom(_groups, group, connection);
                }

                connection.StoreEntry.Groups = null;
            }

            return (uid, groups);
        }
    }

    /// <summary>Binds a uid (the last bind wins). False when the connection is gone.</summary>
    public bool BindUid(ClientConnection connection, string uid)
    {
        lock (_gate)
        {
            if (connection.StoreEntry.Removed)
            {
                return false;
            }

            if (connection.StoreEntry.Uid is { } old)
            {
                if (old == uid)
                {
                    return true;
                }

                RemoveFrom(_uids, old, connection);
            }

            connection.StoreEntry.Uid = uid;
            AddTo(_uids, uid, connection);
            return true;
        }
    }

    public void UnbindUid(ClientConnection connection)
    {
        lock (_gate)
        {
            if (connection.StoreEntry.Uid is { } old)
            {
                RemoveFrom(_uids, old, connection);
                connection.StoreEntry.Uid = null;
            }
        }
    }

    public bool JoinGroup(ClientConnection connection, string group)
    {
        lock (_gate)
        {
            if (connection.StoreEntry.Removed)
            {
                return false;
            }

            (connection.StoreEntry.Groups ??= new HashSet<string>(StringComparer.Ordinal)).Add(group);
            AddTo(_groups, group, connection);
            return true;
        }
    }

    public void LeaveGroup(ClientConnection connection, string group)
    {
        lock (_gate)
        {
            if (connection.StoreEntry.Groups is { } set && set.Remove(group))
            {
                RemoveFrom(_groups, group, connection);
                if (set.Count == 0)
                {
                    connection.StoreEntry.Groups = null;
                }
            }
        }
    }

    /// <summary>Dissolves a group: every member leaves it.</summary>
    public void Ungroup(string group)
    {
        lock (_gate)
        {
            if (_groups.Remove(group, out HashSet<ClientConnection>? members))
            {
                foreach (ClientConnection c in members)
                {
                    if (c.StoreEntry.Groups is { } set)
                    {
                        set.Remove(group);
                        if (set.Count == 0)
                        {
                            c.StoreEntry.Groups = null;
                        }
                    }
                }
            }
        }
    }

    public bool IsUidOnline(string uid)
    {
        lock (_gate)
        {
            return _uids.ContainsKey(uid);
        }
    }

    public int GroupCount(string group)
    {
        lock (_gate)
        {
            return _groups.TryGetValue(group, out HashSet<ClientConnection>? members) ? members.Count : 0;
        }
    }

    /// <summary>Calls <paramref name="action"/> for every member of the uid, outside the table lock (on a snapshot of the members).</summary>
    public void ForEachOfUid<TState>(string uid, ref TState state, ForEachAction<TState> action) where TState : allows ref struct =>
        ForEach(_uids, uid, ref state, action);

    /// <summary>Calls <paramref name="action"/> for every member of the group, outside the table lock (on a snapshot of the members).</summary>
    public void ForEachOfGroup<TState>(string group, ref TState state, ForEachAction<TState> action) where TState : allows ref struct =>
        ForEach(_groups, group, ref state, action);

    private void ForEach<TState>(Dictionary<string, HashSet<ClientConnection>> table, string key, ref TState state, ForEachAction<TState> action)
        where TState : allows ref struct
    {
        ClientConnection[] members;
        int count;
        lock (_gate)
        {
            if (!table.TryGetValue(key, out HashSet<ClientConnection>? set))
            {
                return;
            }

            count = set.Count;
            members = ArrayPool<ClientConnection>.Shared.Rent(count);
            set.CopyTo(members);
        }

        try
        {
            for (int i = 0; i < count; i++)
            {
                action(members[i], ref state);
            }
        }
        finally
        {
            Array.Clear(members, 0, count); // the pool must not keep closed connections alive
            ArrayPool<ClientConnection>.Shared.Return(members);
        }
    }

    /// <summary>Distinct uids bound on this gateway.</summary>
    /// <summary>Groups with at least one member.</summary>
    public int GroupsTotal
    {
        get
        {
            lock (_gate)
            {
                return _groups.Count;
            }
        }
    }

    public int UidCount
    {
        get
        {
            lock (_gate)
            {
                return _uids.Count;
            }
        }
    }

    /// <summary>Distinct uids among the members of <paramref name="group"/>.</summary>
    public int UidCountInGroup(string group)
    {
        lock (_gate)
        {
            if (!_groups.TryGetValue(group, out HashSet<ClientConnection>? members))
            {
                return 0;
            }

            var uids = new HashSet<string>(StringComparer.Ordinal);
            foreach (ClientConnection c in members)
            {
                if (c.StoreEntry.Uid is { } uid)
                {
                    uids.Add(uid);
                }
            }

            return uids.Count;
        }
    }

    /// <summary>One page of connection numbers above <paramref name="after"/>, ascending: all clients, a group's or a uid's.</summary>
    public (List<ulong> Page, bool More) ListClients(ListScope scope, string? key, ulong after, int limit)
    {
        if (scope == ListScope.All)
        {
            return Paging.Smallest(_connections.Keys, id => id > after, limit, Comparer<ulong>.Default);
        }

        lock (_gate)
        {
            Dictionary<string, HashSet<ClientConnection>> table = scope == ListScope.Group ? _groups : _uids;
            if (key is null || !table.TryGetValue(key, out HashSet<ClientConnection>? members))
            {
                return ([], false);
            }

            return Paging.Smallest(members.Select(c => c.Id), id => id > after, limit, Comparer<ulong>.Default);
        }
    }

    /// <summary>One page of distinct uids (of the whole gateway or of a group's members) ordinally after <paramref name="after"/>.</summary>
    public (List<string> Page, bool More) ListUids(string? group, string? after, int limit)
    {
        lock (_gate)
        {
            IEnumerable<string> uids;
            if (group is null)
            {
                uids = _uids.Keys;
            }
            else if (_groups.TryGetValue(group, out HashSet<ClientConnection>? members))
            {
                uids = members.Where(c => c.StoreEntry.Uid is not null).Select(c => c.StoreEntry.Uid!).Distinct(StringComparer.Ordinal);
            }
            else
            {
                return ([], false);
            }

            return Paging.Smallest(uids, u => after is null || string.CompareOrdinal(u, after) > 0, limit, StringComparer.Ordinal);
        }
    }

    /// <summary>One page of group names ordinally after <paramref name="after"/>.</summary>
    public (List<string> Page, bool More) ListGroups(string? after, int limit)
    {
        lock (_gate)
        {
            return Paging.Smallest(_groups.Keys, g => after is null || string.CompareOrdinal(g, after) > 0, limit, StringComparer.Ordinal);
        }
    }

    /// <summary>A consistent copy of a connection's uid and groups.</summary>
    public (string? Uid, string[] Groups) Membership(ClientConnection connection)
    {
        lock (_gate)
        {
            return (connection.StoreEntry.Uid, connection.StoreEntry.Groups is { } g ? [.. g] : []);
        }
    }

    private static void AddTo(Dictionary<string, HashSet<ClientConnection>> table, string key, ClientConnection connection)
    {
        if (!table.TryGetValue(key, out HashSet<ClientConnection>? set))
        {
            set = [];
            table[key] = set;
        }

        set.Add(connection);
    }

    private static void RemoveFrom(Dictionary<string, HashSet<ClientConnection>> table, string key, ClientConnection connection)
    {
        if (table.TryGetValue(key, out HashSet<ClientConnection>? set) && set.Remove(connection) && set.Count == 0)
        {
            table.Remove(key); // an empty group or uid disappears
        }
    }
}

/// <summary>
/// What the store keeps on each connection: its uid and groups. Read and written only by <see cref="ClientStore"/>, under
/// its lock (the field lives in the connection so that a client costs no extra object).
/// </summary>
internal struct StoreEntry
{
    internal string? Uid;
    internal HashSet<string>? Groups;
    internal bool Removed;
}

internal delegate void ForEachAction<TState>(ClientConnection connection, ref TState state) where TState : allows ref struct;
