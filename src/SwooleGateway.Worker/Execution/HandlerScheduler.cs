using Microsoft.Extensions.Logging;
using SwooleGateway.Protocol;

namespace SwooleGateway.Worker.Execution;

/// <summary>
/// Runs the application's handlers: a client's events one at a time, in order; different clients side by side, each
/// holding one of <see cref="WorkerOptions.MaxConcurrentHandlers"/> slots while it has events (clients beyond that wait,
/// first come first served). The clients a read of a link wakes up run as one <see cref="Batch"/>, on the reading thread
/// once the loop waits for its next read (never while the loop is blocked on it): the fast path (handlers that complete
/// without awaiting) costs no thread switch. A handler that blocks holds its slot and its thread; <see cref="ThreadPoolGuard"/> moves the
/// rest of its batch elsewhere and gives the pool a thread for it, so links, replies and other clients keep running.
/// </summary>
internal sealed partial class HandlerScheduler
{
    private readonly GatewayEventHandler _handler;
    private readonly WorkerOptions _options;
    private readonly ILogger _logger;
    private readonly Func<string, ValueTask> _closeClient;
    private readonly Lock _gate = new();
    private readonly Queue<ClientState> _waiting = new(); // under _gate
    private readonly HashSet<ClientState> _awaiting = []; // under _gate: clients whose handler awaits (for the slow-handler watchdog)
    private readonly Stack<Batch> _batches = new(); // under _gate
    private int _available; // free slots; below zero, clients are (about to be) waiting
    private int _handoffs; // under _gate: slots given back while a client was between finding none and queueing itself
    private int _active; // clients with events: in a batch, in a turn, or waiting

    public HandlerScheduler(GatewayEventHandler handler, WorkerOptions options, ILogger logger, Func<string, ValueTask> closeClient, WorkerMetrics metrics)
    {
        Metrics = metrics;
        _handler = handler;
        _options = options;
        _logger = logger;
        _closeClient = closeClient;
        Slots = options.EffectiveMaxConcurrentHandlers;
        _available = Slots;
    }

    public WorkerMetrics Metrics { get; }

    /// <summary>How many clients may run handlers at once.</summary>
    public int Slots { get; }

    /// <summary>Clients whose handlers run or are queued.</summary>
    public int Active => Volatile.Read(ref _active);

    /// <summary>Clients that wait for a slot.</summary>
    public int Waiting
    {
        get
        {
            lock (_gate)
            {
                return _waiting.Count;
            }
        }
    }

    // ---- batches (the read loop's side) ----

    /// <summary>A batch for the clients the next read wakes up.</summary>
    public Batch RentBatch()
    {
        lock (_gate)
        {
            if (_batches.TryPop(out Batch? batch))
            {
                return batch;
            }
        }

        return new Batch(this);
    }

    /// <summary>
    /// The read loop queues an event for its client; a client that was idle becomes active and joins the read's
    /// <paramref name="batch"/> (rented on first use). True when it did.
    /// </summary>
    public bool Enqueue(ClientState client, EventItem item, ref Batch? batch)
    {
        if (!client.Enqueue(item))
        {
            return false;
        }

        Interlocked.Increment(ref _active);
        (batch ??= RentBatch()).Add(client);
        return true;
    }

    /// <summary>Runs the batch as a thread-pool work item.</summary>
    public void Run(Batch batch) => ThreadPool.UnsafeQueueUserWorkItem(batch, preferLocal: false);

    public void ReturnBatch(Batch batch)
    {
        lock (_gate)
        {
            if (_batches.Count < 64)
            {
                _batches.Push(batch);
            }
        }
    }

    // ---- slots ----

    /// <summary>Takes a slot for a client's turn; false when none is free (the client then waits and its turn comes later).</summary>
    public bool TryTakeSlot(ClientState client)
    {
        if (Interlocked.Decrement(ref _available) >= 0)
        {
            return true;
        }

        lock (_gate)
        {
            if (_handoffs > 0)
            {
                _handoffs--;
                return true;
            }

            _waiting.Enqueue(client);
            return false;
        }
    }

    /// <summary>A client ran out of events: its slot goes to the next waiting client, if any.</summary>
    public void Deactivated()
    {
        Interlocked.Decrement(ref _active);
        if (Interlocked.Increment(ref _available) > 0)
        {
            return;
        }

        ClientState? next;
        lock (_gate)
        {
            if (!_waiting.TryDequeue(out next))
            {
                _handoffs++; // the client that found no slot has not queued itself yet: it takes this one
                return;
            }
        }

        next.GrantSlot();
        ThreadPool.UnsafeQueueUserWorkItem(next, preferLocal: true);
    }

    /// <summary>A client's handler started or stopped awaiting (the watchdog looks at awaiting handlers too).</summary>
    public void Awaiting(ClientState client, bool awaiting)
    {
        lock (_gate)
        {
            if (awaiting)
            {
                _awaiting.Add(client);
            }
            else
            {
                _awaiting.Remove(client);
            }
        }
    }

    // ---- handlers ----

    /// <summary>Calls the handler for one event; the returned task may be pending (the handler awaits).</summary>
    public ValueTask Invoke(ClientState client, EventItem item, TurnRecord record)
    {
        long now = Environment.TickCount64;
        client.RunningKind = item.Kind;
        client.StartedTimestamp = Metrics.HandlerDuration.Enabled ? System.Diagnostics.Stopwatch.GetTimestamp() : 0;
        Volatile.Write(ref client.RunningSince, now);
        Volatile.Write(ref client.InvokingSince, now);
        record.Client = client;
        try
        {
            return item.Kind switch
            {
                MessageKind.ClientMessage => _handler.OnMessage(client.ClientId, item.Session, item.Payload.AsMemory(0, item.Length),
                    new EventContext((item.Flags & EventFlags.Redelivered) != 0, (item.Flags & EventFlags.Text) != 0, item.Number)),
                MessageKind.ClientConnect => _handler.OnConnect(client.ClientId, item.Connect!),
                _ => _handler.OnClose(client.ClientId, item.Close!),
            };
        }
        catch (Exception ex)
        {
            return ValueTask.FromException(ex);
        }
        finally
        {
            record.Client = null;
            Volatile.Write(ref client.InvokingSince, 0);
        }
    }

    /// <summary>The handler of <paramref name="item"/> is done (or failed): acknowledge the event, give the item back.</summary>
    public void Complete(ClientState client, EventItem item, ValueTask completed)
    {
        try
        {
            completed.GetAwaiter().GetResult();
        }
        catch (Exception ex)
        {
            Failed(client, item, ex);
        }

        Volatile.Write(ref client.RunningSince, 0);
        Metrics.EventsHandled.Add(1);
        if (client.StartedTimestamp != 0)
        {
            Metrics.HandlerDuration.Record(System.Diagnostics.Stopwatch.GetElapsedTime(client.StartedTimestamp).TotalSeconds);
        }

        client.Acks.Add(item.Sequence); // handled, even if it threw: a redelivery would only throw again
        item.Return();
    }

    private void Failed(ClientState client, EventItem item, Exception exception)
    {
        Metrics.HandlerErrors.Add(1);
        Interlocked.Increment(ref Metrics.HandlerErrorsTotal);
        Log.HandlerFailed(_logger, Name(item.Kind), client.ClientId, _options.HandlerErrorPolicy, exception);
        if (_options.HandlerErrorPolicy == HandlerErrorPolicy.CloseClient && item.Kind != MessageKind.ClientClose)
        {
            _ = CloseAsync(client.ClientId);
        }
    }

    private async Task CloseAsync(string clientId)
    {
        try
        {
            await _closeClient(clientId).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            Log.CloseAfterErrorFailed(_logger, clientId, ex.Message);
        }
    }

    // ---- the watchdog's side ----

    /// <summary>Logs, once per occurrence, this scheduler's awaiting handlers running longer than HandlerWarningThreshold.</summary>
    public void WarnAboutSlowAwaits(long now)
    {
        if (_options.HandlerWarningThreshold <= TimeSpan.Zero)
        {
            return;
        }

        lock (_gate)
        {
            foreach (ClientState client in _awaiting)
            {
                WarnIfSlow(client, now);
            }
        }
    }

    /// <summary>Logs a handler that has been running longer than HandlerWarningThreshold, once per occurrence.</summary>
    public void WarnIfSlow(ClientState client, long now)
    {
        long threshold = (long)_options.HandlerWarningThreshold.TotalMilliseconds;
        long since = Volatile.Read(ref client.RunningSince);
        if (threshold <= 0 || since == 0 || now - since < threshold || client.WarnedFor == since)
        {
            return;
        }

        client.WarnedFor = since;
        Metrics.SlowHandlers.Add(1);
        Log.SlowHandler(_logger, Name(client.RunningKind), client.ClientId, (now - since) / 1000.0, _options.HandlerWarningThreshold.TotalSeconds,
            Volatile.Read(ref client.InvokingSince) != 0 ? "it is blocking a thread (a synchronous call)" : "it is awaiting");
    }

    private static string Name(MessageKind kind) => kind switch
    {
        MessageKind.ClientMessage => "OnMessage",
        MessageKind.ClientConnect => "OnConnect",
        _ => "OnClose",
    };

    private static partial class Log
    {
        [LoggerMessage(4101, LogLevel.Error, "{Handler} failed for client {ClientId} (HandlerErrorPolicy {Policy})", EventName = "HandlerFailed")]
        public static partial void HandlerFailed(ILogger logger, string handler, string clientId, HandlerErrorPolicy policy, Exception exception);

        [LoggerMessage(4102, LogLevel.Warning, "{Handler} for client {ClientId} has been running for {Seconds:0.0} s (HandlerWarningThreshold {Threshold} s): {State}; its client's next events wait for it, other clients do not", EventName = "SlowHandler")]
        public static partial void SlowHandler(ILogger logger, string handler, string clientId, double seconds, double threshold, string state);

        [LoggerMessage(4103, LogLevel.Warning, "Could not close client {ClientId} after its handler failed: {Reason}", EventName = "CloseAfterErrorFailed")]
        public static partial void CloseAfterErrorFailed(ILogger logger, string clientId, string reason);
    }
}
