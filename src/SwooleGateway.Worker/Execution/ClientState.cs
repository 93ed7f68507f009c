namespace SwooleGateway.Worker.Execution;

/// <summary>
/// A client as one worker sees it through one gateway link: its session cache, and its queue of events, which run one at
/// a time, in order, as a thread-pool work item while the client holds one of the scheduler's slots. Never on the link's
/// read loop: the read loop only appends to the queue.
/// </summary>
internal sealed class ClientState : IThreadPoolWorkItem
{
    /// <summary>Events run per turn before the client lets others run (it keeps its slot and queues itself again).</summary>
    private const int EventsPerTurn = 32;

    private readonly HandlerScheduler _scheduler;

    // The queue, under lock(this): a list through EventItem.Next.
    private EventItem? _head;
    private EventItem? _tail;
    private bool _active; // holds a slot or waits for one
    private bool _abandoned; // its link closed: nothing more is queued; the gateway sends the rest to another worker

    // The runner's (one at a time): the event whose handler is pending, and the continuation that resumes the queue.
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

    /// <summary>Where the acknowledgements of this client's events go (its link's).</summary>
    public Acknowledger Acks { get; }

    // --- the link's read loop only: the session as of the last event it parsed ---
    public uint SessionVersion;
    public IReadOnlyDictionary<string, object?>? Session;

    // --- which slot this client holds while active: set by the scheduler when it gives one, read by the runner ---
    public int Slot = -1;

    // --- written by the runner, read by the scheduler's watchdog ---

    /// <summary>Environment.TickCount64 when the handler of the current event started; 0 when none runs.</summary>
    public long RunningSince;

    /// <summary>Environment.TickCount64 when the current call into the handler started, while the call has not returned; else 0.</summary>
    public long InvokingSince;

    /// <summary>The <see cref="RunningSince"/> the watchdog already warned about (one warning per occurrence).</summary>
    public long WarnedFor;

    /// <summary>The kind of the event whose handler runs (for the slow-handler warning).</summary>
    public Protocol.MessageKind RunningKind;

    /// <summary>The read loop adds an event; the client asks for a slot when it had nothing queued.</summary>
    public void Enqueue(EventItem item)
    {
        bool activate;
        lock (this)
        {
            if (_abandoned)
            {
                item.Return();
                return;
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
            activate = !_active;
            _active = true;
        }

        if (activate)
        {
            _scheduler.Activate(this);
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

    /// <summary>A turn on the thread pool: runs queued events in order until the queue is empty or a handler awaits.</summary>
    public void Execute()
    {
        for (int ran = 0; ; ran++)
        {
            if (ran == EventsPerTurn)
            {
                ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false); // let other clients run; keep the slot
                return;
            }

            EventItem? item;
            int slot = -1;
            lock (this)
            {
                item = _head;
                if (item is null)
                {
                    // Idle: from here a new event activates the client again (with another slot, perhaps before the
                    // scheduler has this one back), so the slot to give back is the one held now.
                    _active = false;
                    slot = Slot;
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
                _scheduler.Deactivate(this, slot);
                return;
            }

            ValueTask pending = _scheduler.Invoke(this, item);
            if (!pending.IsCompleted)
            {
                // Slow path: the handler awaits. The client keeps its slot; the queue resumes when the handler completes.
                _current = item;
                _pending = pending;
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
        _scheduler.Complete(this, item, pending);

        // The rest of the queue runs on the pool, not on whatever thread completed the handler's task.
        ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: true);
    }
}
