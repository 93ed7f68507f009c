namespace SwooleGateway.Protocol;

/// <summary>
/// A stretch of work on one thread (a batch of handlers) whose fire-and-forget frames are flushed together when it ends:
/// <see cref="InternalConnection.TrySendSoon"/> and acknowledgements register their link here instead of scheduling a
/// flush each, and <see cref="FlushAll"/> sends every link's share with one flush. Outside a scope they schedule one.
/// </summary>
/// <remarks>
/// The scope belongs to the thread that entered it; <see cref="FlushAll"/> may also be called from another thread (the
/// thread-pool guard flushes the scope of a batch stuck behind a blocking handler), so the list takes a lock, once per
/// link per scope.
/// </remarks>
internal sealed class FlushScope
{
    [ThreadStatic]
    private static FlushScope? t_current;

    private readonly Lock _gate = new();
    private readonly List<InternalConnection> _owed = [];
    private volatile InternalConnection? _last; // the link owed last: most scopes write to one link, again and again

    /// <summary>The scope the calling thread is in, if any.</summary>
    public static FlushScope? Current => t_current;

    /// <summary>Makes this the calling thread's scope (until <see cref="Exit"/>).</summary>
    public void Enter() => t_current = this;

    /// <summary>Leaves the scope and flushes what it owes.</summary>
    public void Exit()
    {
        t_current = null;
        FlushAll();
    }

    /// <summary>A link wrote unflushed frames in this scope: it will be flushed when the scope ends.</summary>
    public void Owe(InternalConnection connection)
    {
        // Fast path without the lock. Safe against the guard's FlushAll: it forgets _last before it flushes, and the
        // caller's frame was written (under the link writer's lock) before this read, so either this read sees _last
        // gone and registers again, or that flush comes after the frame and sends it.
        if (_last == connection)
        {
            return;
        }

        lock (_gate)
        {
            if (!_owed.Contains(connection))
            {
                _owed.Add(connection);
            }

            _last = connection;
        }
    }

    /// <summary>Flushes every link that wrote in this scope (their acknowledgements go first).</summary>
    public void FlushAll()
    {
        while (true)
        {
            InternalConnection connection;
            lock (_gate)
            {
                _last = null;
                if (_owed.Count == 0)
                {
                    return;
                }

                connection = _owed[^1];
                _owed.RemoveAt(_owed.Count - 1);
            }

            connection.FlushNow();
        }
    }
}
