using Microsoft.Extensions.Logging;
using SwooleGateway.Protocol;

namespace SwooleGateway.Worker.Execution;

/// <summary>
/// Runs the application's handlers: a client's events one at a time, in order; different clients concurrently, each
/// holding one of <see cref="WorkerOptions.MaxConcurrentHandlers"/> slots while it has events to run (clients beyond that
/// wait, first come first served). Handlers run as thread-pool work items, never on a link's read loop; the work item is
/// queued on the reading thread's own queue, so the fast path (a handler that completes without awaiting) costs no
/// thread switch. A handler that blocks holds its slot and its thread; <see cref="ThreadPoolGuard"/> gives the pool a
/// thread for each, so links, replies and other clients keep running.
/// </summary>
internal sealed partial class HandlerScheduler
{
    private readonly GatewayEventHandler _handler;
    private readonly WorkerOptions _options;
    private readonly ILogger _logger;
    private readonly Func<string, ValueTask> _closeClient;
    private readonly Lock _gate = new();
    private readonly ClientState?[] _running; // by slot, under _gate (the watchdog reads it without)
    private readonly int[] _free; // under _gate
    private readonly Queue<ClientState> _waiting = new(); // under _gate
    private int _freeCount; // under _gate
    private int _active; // clients holding a slot or waiting for one

    public HandlerScheduler(GatewayEventHandler handler, WorkerOptions options, ILogger logger, Func<string, ValueTask> closeClient)
    {
        _handler = handler;
        _options = options;
        _logger = logger;
        _closeClient = closeClient;
        int slots = options.EffectiveMaxConcurrentHandlers;
        _running = new ClientState?[slots];
        _free = new int[slots];
        for (int i = 0; i < slots; i++)
        {
            _free[i] = slots - 1 - i;
        }

        _freeCount = slots;
    }

    /// <summary>How many clients may run handlers at once.</summary>
    public int Slots => _running.Length;

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

    /// <summary>A client has events and no slot: it takes a free one and is queued on the pool, or waits for one.</summary>
    public void Activate(ClientState client)
    {
        Interlocked.Increment(ref _active);
        lock (_gate)
        {
            if (_freeCount == 0)
            {
                _waiting.Enqueue(client);
                return;
            }

            TakeSlot(client, _free[--_freeCount]);
        }

        // The reading thread's own queue: it runs the handler as soon as the read loop awaits again, with no thread switch.
        ThreadPool.UnsafeQueueUserWorkItem(client, preferLocal: true);
    }

    /// <summary>A client ran out of events: the slot it held goes to the next waiting client, if any.</summary>
    public void Deactivate(ClientState client, int slot)
    {
        ClientState? next;
        lock (_gate)
        {
            _running[slot] = null;
            if (_waiting.TryDequeue(out next))
            {
                TakeSlot(next, slot);
            }
            else
            {
                _free[_freeCount++] = slot;
            }
        }

        Interlocked.Decrement(ref _active);
        if (next is not null)
        {
            ThreadPool.UnsafeQueueUserWorkItem(next, preferLocal: true);
        }
    }

    private void TakeSlot(ClientState client, int slot)
    {
        client.Slot = slot;
        Volatile.Write(ref _running[slot], client);
    }

    /// <summary>Calls the handler for one event; the returned task may be pending (the handler awaits).</summary>
    public ValueTask Invoke(ClientState client, EventItem item)
    {
        long now = Environment.TickCount64;
        client.RunningKind = item.Kind;
        Volatile.Write(ref client.RunningSince, now);
        Volatile.Write(ref client.InvokingSince, now);
        try
        {
            return item.Kind switch
            {
                MessageKind.ClientMessage => _handler.OnMessage(client.ClientId, item.Session, item.Payload.AsMemory(0, item.Length),
                    new EventContext((item.Flags & EventFlags.Redelivered) != 0, (item.Flags & EventFlags.Text) != 0)),
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
        WorkerMetrics.EventsHandled.Add(1);
        client.Acks.Add(item.Sequence); // handled, even if it threw: a redelivery would only throw again
        item.Return();
    }

    private void Failed(ClientState client, EventItem item, Exception exception)
    {
        WorkerMetrics.HandlerErrors.Add(1);
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

    /// <summary>Handlers whose current call has not returned for <paramref name="thresholdMs"/> or more: each holds a thread.</summary>
    public int CountBlocked(long now, long thresholdMs)
    {
        int blocked = 0;
        foreach (ClientState? client in _running)
        {
            long since = client is null ? 0 : Volatile.Read(ref client.InvokingSince);
            if (since != 0 && now - since >= thresholdMs)
            {
                blocked++;
            }
        }

        return blocked;
    }

    /// <summary>Logs, once per occurrence, every handler that has been running longer than HandlerWarningThreshold.</summary>
    public void WarnAboutSlowHandlers(long now)
    {
        long threshold = (long)_options.HandlerWarningThreshold.TotalMilliseconds;
        if (threshold <= 0)
        {
            return;
        }

        foreach (ClientState? client in _running)
        {
            if (client is null)
            {
                continue;
            }

            long since = Volatile.Read(ref client.RunningSince);
            if (since != 0 && now - since >= threshold && client.WarnedFor != since)
            {
                client.WarnedFor = since;
                WorkerMetrics.SlowHandlers.Add(1);
                Log.SlowHandler(_logger, Name(client.RunningKind), client.ClientId, (now - since) / 1000.0, _options.HandlerWarningThreshold.TotalSeconds,
                    Volatile.Read(ref client.InvokingSince) != 0 ? "it is blocking a thread (a synchronous call)" : "it is awaiting");
            }
        }
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
