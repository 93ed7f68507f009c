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

    // The queue, under lock(this): a list through EventItem.Next.
    private EventItem? _head;
    private EventItem? _tail;
    private bool _active; // has events: in a batch, in a turn, or waiting for a slot
    private bool _holdsSlot; // set by the turn that takes a slot (or the scheduler that grants one), cleared under the lock with _active
    private bool _abandoned; // its link closed: nothing more is queued; the gateway sends the rest to another worker

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
        lock (this)
        {
            if (_abandoned)
            {
                item.Return();
                return false;
            }

            if (_tail is null)
            {
                _head = item;
            }
            else
            {
                _tail.Next = item;
            }

            _tail = item;
            if (_active)
            {
                return false;
            }

            _active = true;
            return true;
        }
    }

    /// <summary>The link closed: the events not started yet are dropped (the gateway sends them to another worker). Returns how many.</summary>
    public int Abandon()
    {
        int dropped = 0;
        lock (this)
        {
            _abandoned = true;
            while (_head is { } item)
            {
                _head = item.Next;
                item.Return();
                dropped++;
            }

            _tail = null;
        }

        return dropped;
    }

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

            EventItem? item;
            lock (this)
            {
                item = _head;
                if (item is null)
                {
                    // Idle: from here a new event makes the client active again, and its next turn takes a slot anew.
                    _active = false;
                    _holdsSlot = false;
                }
                else
                {
                    _head = item.Next;
                    _tail = _head is null ? null : _tail;
                    item.Next = null;
                }
            }

            if (item is null)
            {
                _scheduler.Deactivated();
                return;
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
