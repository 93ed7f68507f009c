namespace SwooleGateway.Worker.Execution;

/// <summary>
/// A client as one worker sees it through one gateway link: its session cache, and its queue of events, which run one at
/// a time, in order, in turns: in the batch of the read that woke the client, or as a thread-pool work item of its own
/// (after an await, after its turn was long, after it waited for a slot). Never on the link's read loop: the read loop
/// only appends to the queue. A client holds one of the scheduler's slots from the start of a turn until its queue is
/// empty, awaits included.
/// </summary>
internal sealed class ClientState : IThreadPoolWorkItem
{
    /// <summary>Events run per turn before the client lets others run (it keeps its slot and queues itself again).</summary>
    private const int EventsPerTurn = 32;

    private readonly HandlerScheduler _scheduler;

    /// <summary>The value of <see cref="_incoming"/> while the client is idle: no events, no turn.</summary>
    private static readonly EventItem s_idle = new();

    // The queue, without a lock (one producer, the link's read loop; one consumer, the client's turn): the read loop
    // pushes onto _incoming, newest first, with one compare-and-swap; the turn takes the whole stack with one exchange
    // and keeps it, oldest first, in _head. _incoming is s_idle while the client has no events and no turn: the push
    // that replaces s_idle makes the client active (its caller schedules a turn), and only the turn, finding both
    // lists empty, puts s_idle back. So a client has at most one turn, scheduled or running, at a time.
    private EventItem? _incoming = s_idle;
    private EventItem? _head; // the turn's
    private bool _holdsSlot; // the turn's: set when it takes a slot (or the scheduler grants one), cleared before going idle
    private volatile bool _abandoned; // its link closed: nothing more is queued, and the turn drops what is left

    // The turn's (one at a time): the event whose handler is pending, and the continuation that resumes the queue.
    private EventItem? _current;
    private ValueTask _pending;
    private Action? _resume;

    public ClientState(string clientId, Acknowledger acks, HandlerScheduler scheduler)
    {
        ClientId = clientId;
        Acks = acks;
        _scheduler = scheduler;
    }

    public string ClientId { get; }

    /// <summary>The scheduler that runs this client's handlers.</summary>
    public HandlerScheduler Scheduler => _scheduler;

    /// <summary>Where the acknowledgements of this client's events go (its link's).</summary>
    public Acknowledger Acks { get; }

    // --- the link's read loop only: the session as of the last event it parsed ---
    public uint SessionVersion;
    public IReadOnlyDictionary<string, object?>? Session;

    // --- written by the turn, read by the guard's watchdog ---

    /// <summary>Environment.TickCount64 when the handler of the current event started; 0 when none runs.</summary>
    public long RunningSince;

    /// <summary>Environment.TickCount64 when the current call into the handler started, while the call has not returned; else 0.</summary>
    public long InvokingSince;

    /// <summary>The <see cref="RunningSince"/> the watchdog already warned about (one warning per occurrence).</summary>
    public long WarnedFor;

    /// <summary>Stopwatch timestamp when the current handler was called, while the duration histogram listens; else 0.</summary>
    public long StartedTimestamp;

    /// <summary>The kind of the event whose handler runs (for the slow-handler warning).</summary>
    public Protocol.MessageKind RunningKind;

    /// <summary>The read loop adds an event; true when the client was idle: the caller schedules it (adds it to the read's batch).</summary>
    public bool Enqueue(EventItem item)
    {
        if (_abandoned)
        {
            item.Return();
            return false;
        }

        EventItem? seen = Volatile.Read(ref _incoming);
        while (true)
        {
            EventItem? expected = seen;
            item.Next = ReferenceEquals(expected, s_idle) ? null : expected;
            seen = Interlocked.CompareExchange(ref _incoming, item, expected);
            if (ReferenceEquals(seen, expected))
            {
                return ReferenceEquals(expected, s_idle);
            }
        }
    }

    /// <summary>
    /// The link closed (its read loop has ended, so nothing is queued any more): the events not started yet are dropped
    /// by the client's turn, which is scheduled or running whenever the client has events; the gateway sends them to
    /// another worker.
    /// </summary>
    public void Abandon() => _abandoned = true;

    /// <summary>The scheduler gives this waiting client a slot; its turn comes as a work item of its own.</summary>
    public void GrantSlot() => _holdsSlot = true;

    /// <summary>A turn of its own on the thread pool (not in a batch).</summary>
    public void Execute()
    {
        TurnRecord record = HandlerThreads.Current;
        record.Scope.Enter();
        try
        {
            RunTurn(record);
        }
        finally
        {
            record.Scope.Exit();
        }
    }

    /// <summary>
    /// Runs queued events in order on the calling thread until the queue is empty (the slot goes back), a handler awaits
    /// (the queue resumes when it completes), or the turn has run <see cref="EventsPerTurn"/> events (it goes on later,
    /// as a work item). Without a free slot, the client waits for one instead.
    /// </summary>
    public void RunTurn(TurnRecord record)
    {
        if (!_holdsSlot)
        {
            if (!_scheduler.TryTakeSlot(this))
            {
                return; // queued among the clients waiting for a slot; the scheduler starts its turn when one frees
            }

            _holdsSlot = true;
        }

        for (int ran = 0; ; ran++)
        {
            if (ran == EventsPerTurn)
            {
                ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false); // let other clients run; keep the slot
                return;
            }

            EventItem? item = TakeNext();
            if (item is null)
            {
                _scheduler.Deactivated();
                return;
            }

            if (_abandoned)
            {
                item.Return(); // its link is gone: the gateway redelivers it to the worker that takes the client over
                _scheduler.Metrics.EventsAbandoned.Add(1);
                continue;
            }

            ValueTask pending = _scheduler.Invoke(this, item, record);
            if (!pending.IsCompleted)
            {
                // Slow path: the handler awaits. The client keeps its slot; the queue resumes when the handler completes.
                _current = item;
                _pending = pending;
                _scheduler.Awaiting(this, true);
                pending.GetAwaiter().UnsafeOnCompleted(_resume ??= Resume);
                return;
            }

            _scheduler.Complete(this, item, pending);
        }
    }

    /// <summary>
    /// The turn's next event, oldest first; null when there is none, and then the client is idle (a new event makes it
    /// active again, and its next turn takes a slot anew).
    /// </summary>
    private EventItem? TakeNext()
    {
        if (_head is null)
        {
            EventItem? taken = Volatile.Read(ref _incoming);
            if (taken is null)
            {
                _holdsSlot = false; // before the client can be seen idle: the next turn takes a slot of its own
                taken = Interlocked.CompareExchange(ref _incoming, s_idle, null);
                if (taken is null)
                {
                    return null;
                }

                _holdsSlot = true; // an event came in the meantime: this turn goes on
            }

            // Not s_idle: only this turn puts it there, and a turn runs only while the client is active.
            taken = Interlocked.Exchange(ref _incoming, null);
            EventItem? oldestFirst = null;
            while (taken is not null)
            {
                EventItem? next = taken.Next;
                taken.Next = oldestFirst;
                oldestFirst = taken;
                taken = next;
            }

            _head = oldestFirst;
        }

        EventItem item = _head!;
        _head = item.Next;
        item.Next = null;
        return item;
    }

    private void Resume()
    {
        EventItem item = _current!;
        ValueTask pending = _pending;
        _current = null;
        _pending = default;
        _scheduler.Awaiting(this, false);
        _scheduler.Complete(this, item, pending);

        // The rest of the queue runs on the pool, not on whatever thread completed the handler's task.
        ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: true);
    }
}
