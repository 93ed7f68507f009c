using SwooleGateway.Protocol;

namespace SwooleGateway.Worker.Execution;

/// <summary>
/// What each thread that runs handlers is doing, for the <see cref="ThreadPoolGuard"/>: the client whose handler it is
/// calling (if any) and the batch it is working through. One record per thread, created on its first turn and kept
/// while the thread lives (the pool retires idle threads: <see cref="Prune"/> forgets theirs).
/// </summary>
internal static class HandlerThreads
{
    private static readonly Lock s_gate = new();
    private static TurnRecord[] s_records = [];

    [ThreadStatic]
    private static TurnRecord? t_current;

    /// <summary>The calling thread's record.</summary>
    public static TurnRecord Current => t_current ?? Register();

    /// <summary>Every thread that ever ran a handler (a snapshot).</summary>
    public static TurnRecord[] All => Volatile.Read(ref s_records);

    /// <summary>Forgets the records of threads that have ended (the guard calls it now and then).</summary>
    public static void Prune()
    {
        TurnRecord[] records = All;
        if (Array.TrueForAll(records, r => r.Thread.IsAlive))
        {
            return;
        }

        lock (s_gate)
        {
            s_records = Array.FindAll(s_records, r => r.Thread.IsAlive);
        }
    }

    private static TurnRecord Register()
    {
        var record = new TurnRecord();
        lock (s_gate)
        {
            s_records = [.. s_records, record];
        }

        t_current = record;
        return record;
    }
}

/// <summary>One thread's current work, written by that thread, read by the guard.</summary>
internal sealed class TurnRecord
{
    /// <summary>The thread this record describes (it is created on that thread).</summary>
    public readonly Thread Thread = Thread.CurrentThread;

    /// <summary>The thread's flush scope, reused for every batch or turn it runs.</summary>
    public readonly FlushScope Scope = new();

    /// <summary>The client whose handler the thread is calling now (between the call and its return); else null.</summary>
    public volatile ClientState? Client;

    /// <summary>The batch the thread is working through, and that batch's generation (to tell a reused batch apart).</summary>
    public volatile Batch? Batch;

    public int BatchGeneration;
}
