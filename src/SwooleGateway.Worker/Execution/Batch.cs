using SwooleGateway.Protocol;

namespace SwooleGateway.Worker.Execution;

/// <summary>
/// The clients one read of a gateway link woke up, run one after another on one thread: the thread that read them, once
/// the link's next read is pending (<see cref="LinkEvents.OnIdle"/>), or else a thread-pool work item. So no thread
/// switch and no thread-pool request per read, however many clients it carried, and one flush of the answers and
/// acknowledgements at the end. Once it has run for <see cref="SliceMs"/>, or when the guard sees one of its handlers
/// block, the clients not started yet move to work items of their own (<see cref="SplitRest"/>), so they do not wait
/// for slow handlers one after another. Pooled.
/// </summary>
internal sealed class Batch(HandlerScheduler scheduler) : IThreadPoolWorkItem
{
    /// <summary>
    /// How long a batch runs its clients one after another before the clients left go to work items of their own.
    /// Handlers that complete at once take microseconds each, so a batch of them never reaches it; handlers that each
    /// block a few milliseconds would otherwise queue behind one another in the batch, too short each for the guard to
    /// see. Looked at after each client's turn on the coarse clock (a few nanoseconds), which moves in steps of 1–4 ms
    /// and so says "2 ms" early for a batch that happens to straddle a step: the precise clock confirms.
    /// </summary>
    public const long SliceMs = 2;

    private static readonly long s_sliceTicks = System.Diagnostics.Stopwatch.Frequency * SliceMs / 1000;

    private ClientState[] _clients = new ClientState[16];
    private int _count; // written by the read loop before the batch is queued
    private int _next; // the next client to take: interlocked (the runner and the guard both take)
    private bool _running; // under lock(this)
    private int _generation; // under lock(this)

    public bool IsEmpty => _count == 0;

    /// <summary>The read loop adds a client that has just become active.</summary>
    public void Add(ClientState client)
    {
        if (_count == _clients.Length)
        {
            Array.Resize(ref _clients, _count * 2);
        }

        _clients[_count++] = client;
    }

    public void Execute()
    {
        TurnRecord record = HandlerThreads.Current;
        if (record.Batch is not null || FlushScope.Current is not null)
        {
            // Called inside other work on this thread (not expected from the read loop): run on its own instead.
            scheduler.Run(this);
            return;
        }

        int generation;
        lock (this)
        {
            _running = true;
            generation = ++_generation;
        }

        record.BatchGeneration = generation;
        record.Batch = this;
        record.Scope.Enter();
        long started = Environment.TickCount64;
        long startedPrecisely = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            while (TryTake(out ClientState? client))
            {
                client.RunTurn(record);
                if (Environment.TickCount64 - started >= SliceMs && System.Diagnostics.Stopwatch.GetTimestamp() - startedPrecisely >= s_sliceTicks)
                {
                    // Its handlers are slow (a synchronous call each): the clients left run side by side on the pool
                    // rather than one after another here.
                    SplitRest(generation);
                    break;
                }
            }
        }
        finally
        {
            record.Batch = null;
            lock (this)
            {
                _running = false;
            }

            record.Scope.Exit();
            Array.Clear(_clients, 0, _count);
            _count = 0;
            _next = 0;
            scheduler.ReturnBatch(this);
        }
    }

    /// <summary>
    /// The batch has run its slice, or the guard saw its thread blocked in a handler: the clients not started yet become
    /// work items of their own.
    /// Does nothing unless the batch is still running as generation <paramref name="generation"/> (it may have finished and
    /// been reused since the guard looked).
    /// </summary>
    public int SplitRest(int generation)
    {
        lock (this)
        {
            if (!_running || _generation != generation)
            {
                return 0;
            }

            int moved = 0;
            while (TryTake(out ClientState? client))
            {
                ThreadPool.UnsafeQueueUserWorkItem(client, preferLocal: false);
                moved++;
            }

            return moved;
        }
    }

    private bool TryTake([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out ClientState? client)
    {
        int i = Interlocked.Increment(ref _next) - 1;
        client = i < _count ? _clients[i] : null;
        return client is not null;
    }
}
