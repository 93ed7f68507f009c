using System.Buffers;
using Microsoft.Extensions.Logging;
using SwooleGateway.Gateway.Clients;
using SwooleGateway.Protocol;
using SwooleGateway.Protocol.Messages;

namespace SwooleGateway.Gateway.Routing;

/// <summary>
/// Routing client events to workers, at least once and in order per client: the pool of workers; stickiness (a client's
/// events go to the same worker while it accepts); the events a worker has not acknowledged (kept by its
/// <see cref="WorkerLink"/>) and their redelivery, in order and flagged, to the worker that takes the client over when
/// the link dies; the handover of a draining worker's clients once it has finished their events; the events held while no
/// worker is connected; and backpressure when a worker falls behind.
/// </summary>
/// <remarks>
/// The fast path (the client's worker accepts) takes only that link's lock. Everything that moves a client from one
/// worker to another, or holds its events, happens under this router's lock, so a client's new event never overtakes
/// one that is held or being redelivered (see the invariants on <see cref="ClientRoute"/>). Lock order: router, then link.
/// </remarks>
internal sealed partial class EventRouter(GatewayOptions options, ClientStore store, IEventRouter policy, GatewayMetrics metrics, ILogger logger)
{
    private volatile IEventRouter _policy = policy;
    private IReadOnlyDictionary<string, string> _listenerTags = options.Routing.ListenerTags; // under _gate
    /// <summary>How often a move to another worker is tried before the event is held (workers stopping at that moment).</summary>
    private const int PickAttempts = 4;

    [ThreadStatic]
    private static List<ClientConnection>? t_finished;

    private readonly WorkerPool _workers = new();
    private readonly Lock _gate = new();
    private readonly Queue<ClientConnection> _waitingForWorker = new(); // under _gate
    private int _held; // new events held (redeliveries are bounded by the links' windows instead); under _gate
    private long _heldBytes; // their frames' bytes; under _gate
    private int _noWorkerWarned;
    private TaskCompletionSource? _paused; // set when the gateway stops: every client read waits on it (it never completes)
    private int _eligibleVersion = -1; // the pool's version _accepting and _tagged were built from; under _gate
    private RoutingWorker[] _accepting = []; // under _gate
    private readonly Dictionary<string, RoutingWorker[]> _tagged = new(StringComparer.Ordinal); // under _gate: tag → accepting workers with it
    private long _policyFailedLogged; // Environment.TickCount64 of the last "router failed" log line
    private volatile bool _rebalanceOnJoin = options.Routing.RebalanceOnJoin;

    // Clients moving to a worker that joined (RebalanceOnJoin), and that worker: the next choice for each is that worker
    // while it accepts. An entry goes when it is used (the client's next event, at the latest its close event).
    private readonly Dictionary<ClientConnection, WorkerLink> _joinMoves = []; // under _gate

    /// <summary>Routing:RebalanceOnJoin: a worker that joins takes a fair share of the connected clients (stock round-robin router only).</summary>
    public bool RebalanceOnJoin
    {
        get => _rebalanceOnJoin;
        set => _rebalanceOnJoin = value;
    }

    /// <summary>The router in use.</summary>
    public IEventRouter Policy => _policy;

    /// <summary>Workers that take events now.</summary>
    public int WorkerCount => _workers.Count;

    /// <summary>Events sent to the connected workers and not acknowledged yet.</summary>
    public int Unacknowledged => _workers.All.Sum(w => w.Unacknowledged);

    /// <summary>Events sent to workers since start (the links' sequence numbers, and those of links that closed).</summary>
    public long EventsRouted => Volatile.Read(ref _eventsOfClosedLinks) + _workers.All.Sum(w => (long)w.EventsSent);

    private long _eventsOfClosedLinks;

    /// <summary>Events waiting for a worker.</summary>
    public int Held => Volatile.Read(ref _held);

    // ---- events ----

    /// <summary>A client was accepted: its connect event, with what its handshake told and the uid its authorizer bound.</summary>
    public void OnConnected(ClientConnection client, ClientHandshake handshake, string? uid)
    {
        SessionState? session = Volatile.Read(ref client.Session);
        Route(client, new ClientConnectFrame(Header(client, EventFlags.None), client.Remote?.Address.ToString() ?? "", (uint)(client.Remote?.Port ?? 0),
            client.Listener.Name, client.Listener.Transport, handshake.Path, handshake.Headers, handshake.SubProtocol, handshake.Query, uid,
            session?.Version ?? 0, Bytes(session)));
    }

    /// <summary>Hot path: client frame → worker. Allocates nothing when the client's worker accepts.</summary>
    public void OnMessage(ClientConnection client, in ReadOnlySequence<byte> payload, bool text)
    {
        SessionState? session = Volatile.Read(ref client.Session);
        Route(client, new ClientMessageFrame(Header(client, text ? EventFlags.Text : EventFlags.None), session?.Version ?? 0, Bytes(session), payload,
            (ulong)client.MessagesIn)); // the client's read loop counted this message just now: its number on the connection
    }

    /// <summary>A client closed: its close event, with the session, uid and groups it had.</summary>
    public void OnClosed(ClientConnection client, string? uid, string[] groups)
    {
        SessionState? session = Volatile.Read(ref client.Session);
        Route(client, new ClientCloseFrame(Header(client, EventFlags.None), session?.Version ?? 0, Bytes(session), uid, new StringList(groups)));
        if (Volatile.Read(ref client.Route.Moving) && _joinMoves.Count > 0)
        {
            lock (_gate)
            {
                _joinMoves.Remove(client); // its close event is held (no worker takes it now): the router chooses when one does
            }
        }
    }

    /// <summary>
    /// Backpressure: when this client has MaxUnackedEventsPerClient events its worker has not finished, or the window of
    /// unacknowledged events of its worker is full, a task that completes when there is room again; the client's read
    /// loop waits for it before it reads more (the client's own TCP window then fills). The first bound pauses only the
    /// client that sends faster than its handler finishes, before it can fill the second, which pauses all of them.
    /// </summary>
    public Task? WaitForRoom(ClientConnection client)
    {
        int perClient = options.MaxUnackedEventsPerClient;
        if (perClient > 0 && Unfinished(client) >= perClient && PauseClient(client, perClient) is { } own)
        {
            return own;
        }

        if (Volatile.Read(ref client.Route.Worker) is not { IsFull: true } worker)
        {
            return _paused?.Task;
        }

        Task? room = worker.WaitForRoom(out bool newEpisode);
        if (newEpisode)
        {
            metrics.WorkerWindowsFull.Add(1);
            Log.WindowFull(logger, worker.Connection.PeerId, worker.Unacknowledged, options.MaxUnackedEventsPerWorker, options.MaxUnackedBytesPerWorker);
        }

        if (room is not null)
        {
            metrics.ReadsPaused.Add(1);
        }

        return room;
    }

    /// <summary>
    /// The client's events that no handler has finished: sent to its worker and not acknowledged, or held for one (no
    /// worker, or it is moving). The held count is read without the router's lock: a moment's staleness only moves the
    /// pause by one read.
    /// </summary>
    private static int Unfinished(ClientConnection client) =>
        Volatile.Read(ref client.Route.InFlight) + (Volatile.Read(ref client.Route.Held)?.Count ?? 0);

    /// <summary>The client has <paramref name="max"/> unfinished events: its read waits until a quarter of them are done (or dropped).</summary>
    private Task? PauseClient(ClientConnection client, int max)
    {
        var room = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Interlocked.Exchange(ref client.Route.Room, room); // a full fence: an acknowledgement after the look below sees it
        int unfinished = Unfinished(client);
        if (unfinished <= ClientRoute.ResumeMark(max))
        {
            client.Route.WakeReader(); // acknowledged meanwhile (before the room was there to complete)
            return null;
        }

        metrics.ClientWindowsFull.Add(1);
        metrics.ReadsPaused.Add(1);
        Log.ClientWindowFull(logger, client.ClientId, unfinished, Volatile.Read(ref client.Route.Worker)?.Connection.PeerId ?? "(none)", max);
        return room.Task;
    }

    private static EventHeader Header(ClientConnection client, EventFlags flags) => new(0, client.Id, flags);

    private static ReadOnlySequence<byte> Bytes(SessionState? session) =>
        session is null ? ReadOnlySequence<byte>.Empty : new ReadOnlySequence<byte>(session.Bytes);

    /// <summary>
    /// The gateway is stopping: client reads pause after the data they have (what a client sent so far still goes to
    /// workers, nothing more is read), until the clients are closed.
    /// </summary>
    public void PauseReads() => Interlocked.CompareExchange(ref _paused, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), null);

    // ---- workers ----

    /// <summary>A worker connected: it takes the events held while no worker was (older than HoldEventsFor are dropped), then new ones.</summary>
    public void WorkerConnected(WorkerLink link)
    {
        int replayed = 0;
        int expired = 0;
        lock (_gate)
        {
            _workers.Add(link);
            Rebalance(link.Connection.PeerId);
            SpreadTo(link);
            if (_waitingForWorker.Count > 0)
            {
                long expiredBefore = Environment.TickCount64 - (long)options.HoldEventsFor.TotalMilliseconds;
                ClientConnection[] waiting = [.. _waitingForWorker];
                _waitingForWorker.Clear();
                foreach (ClientConnection client in waiting)
                {
                    client.Route.WaitingForWorker = false;
                    (int sent, int dropped) = Release(client, expiredBefore);
                    replayed += sent;
                    expired += dropped;
                }
            }
        }

        Interlocked.Exchange(ref _noWorkerWarned, 0);
        if (replayed + expired > 0)
        {
            Log.HeldEventsReplayed(logger, replayed, link.Connection.PeerId, expired);
        }
    }

    /// <summary>A worker said it is stopping: nothing new is routed to it; each client moves on once its events there are acknowledged.</summary>
    public void WorkerDraining(WorkerLink link)
    {
        link.MarkDraining();
        _workers.Changed();
        Log.WorkerDraining(logger, link.Connection.PeerId, link.Unacknowledged);
    }

    /// <summary>A worker acknowledged events: forget them; a draining worker's clients whose last event that was move on.</summary>
    public void Acknowledge(WorkerLink link, in ULongList ranges)
    {
        List<ClientConnection> finished = t_finished ??= [];
        link.Acknowledge(ranges, finished);
        if (finished.Count == 0)
        {
            return;
        }

        lock (_gate)
        {
            foreach (ClientConnection client in finished)
            {
                if (client.Route.Worker == link && client.Route.Held is { Count: > 0 })
                {
                    Release(client, long.MinValue);
                }
            }
        }

        finished.Clear();
    }

    /// <summary>
    /// A worker's link closed, gracefully or not: every event it did not acknowledge goes, in its client's order and
    /// flagged as redelivered, to the worker that takes that client over, ahead of the client's events held meanwhile
    /// (or is held, like them, until a worker connects).
    /// </summary>
    public void WorkerDisconnected(WorkerLink link)
    {
        _workers.Remove(link);
        Interlocked.Add(ref _eventsOfClosedLinks, (long)link.EventsSent); // after: a report in between misses it once rather than counting it twice
        int redelivered;
        int clients;
        List<(ClientConnection Client, MessageKind Kind, byte Losses)>? poisoned = null;
        lock (_gate)
        {
            List<WorkerLink.Outstanding> left = link.Close();
            redelivered = left.Count;
            if (redelivered == 0)
            {
                return;
            }

            var byClient = new Dictionary<ClientConnection, List<HeldEvent>>();
            var order = new List<ClientConnection>();
            foreach (WorkerLink.Outstanding entry in left)
            {
                if (!byClient.TryGetValue(entry.Client, out List<HeldEvent>? events))
                {
                    byClient[entry.Client] = events = [];
                    order.Add(entry.Client);
                }

                // The client's first in sequence order may have been running; the later ones had not started.
                events.Add(entry.Event.AsRedelivered(lost: events.Count == 0));
            }

            clients = order.Count;
            foreach (ClientConnection client in order)
            {
                List<HeldEvent> events = byClient[client];
                Interlocked.Add(ref client.Route.InFlight, -events.Count);
                client.Route.WakeReader(); // they are held or go to another worker now: its next read looks again
                if (options.MaxWorkerLossesPerEvent > 0 && events[0].Losses >= options.MaxWorkerLossesPerEvent)
                {
                    (poisoned ??= []).Add((client, events[0].Kind, events[0].Losses));
                    events[0].Release();
                    events.RemoveAt(0);
                    redelivered--;
                }

                if (client.Route.Held is { } earlier)
                {
                    events.AddRange(earlier); // held while these were out: they come after them
                }

                client.Route.Held = new Queue<HeldEvent>(events);
                Release(client, long.MinValue);
            }
        }

        metrics.EventsRedelivered.Add(redelivered);
        Log.Redelivering(logger, link.Connection.PeerId, redelivered, clients);
        foreach ((ClientConnection client, MessageKind kind, byte losses) in poisoned ?? [])
        {
            metrics.EventsPoisonDropped.Add(1);
            Log.PoisonEventDropped(logger, KindName(kind), client.ClientId, losses, link.Connection.PeerId, options.MaxWorkerLossesPerEvent);
        }
    }

    private static string KindName(MessageKind kind) => kind switch
    {
        MessageKind.ClientConnect => "connect",
        MessageKind.ClientMessage => "message",
        _ => "close",
    };

    // ---- routing ----

    /// <summary>
    /// Sends the event to the client's worker (fast path: that link's lock only); otherwise, under the router's lock, holds
    /// it behind the client's waiting events, or behind its unacknowledged ones on a worker that stopped accepting, or
    /// moves the client to another worker, or holds it until one connects.
    /// </summary>
    private void Route<TEvent>(ClientConnection client, in TEvent evt) where TEvent : struct, IClientEvent<TEvent>
    {
        if (!Volatile.Read(ref client.Route.Moving) && Volatile.Read(ref client.Route.Worker) is { } worker && worker.TrySendEvent(client, evt))
        {
            return;
        }

        lock (_gate)
        {
            RouteSlow(client, evt);
        }
    }

    private void RouteSlow<TEvent>(ClientConnection client, in TEvent evt) where TEvent : struct, IClientEvent<TEvent>
    {
        if (client.Route.Held is { Count: > 0 })
        {
            Hold(client, evt); // behind the events already waiting
            return;
        }

        bool moving = client.Route.Moving;
        if (!moving && client.Route.Worker is { } current && current.TrySendEvent(client, evt))
        {
            return;
        }

        if (Volatile.Read(ref client.Route.InFlight) > 0)
        {
            // Its worker stopped accepting (or the client moves elsewhere) but still has earlier events of this client:
            // this one waits until they are acknowledged (draining, moving) or redelivered (a lost worker).
            Hold(client, evt);
            return;
        }

        for (int attempt = 0; attempt < PickAttempts; attempt++)
        {
            if (Choose(client) is not { } next)
            {
                break;
            }

            if (next.TrySendEvent(client, evt))
            {
                MovedTo(client, next);
                return;
            }

            _eligibleVersion = -1; // it stopped accepting just now
        }

        if (moving)
        {
            // Nothing of it is out anywhere and no worker takes it now: it starts afresh when one does.
            Volatile.Write(ref client.Route.Worker, null);
            Volatile.Write(ref client.Route.Moving, false);
        }

        if (Hold(client, evt))
        {
            WaitForWorker(client);
        }
    }

    /// <summary>The client's events go to <paramref name="worker"/> from now on (written before the fast path may see it).</summary>
    private void MovedTo(ClientConnection client, WorkerLink worker)
    {
        if (client.Route.Moving && client.Route.Worker != worker)
        {
            metrics.ClientsMoved.Add(1);
        }

        Volatile.Write(ref client.Route.Worker, worker);
        Volatile.Write(ref client.Route.Moving, false);
    }

    // ---- choosing ----

    /// <summary>
    /// What the router chooses for <paramref name="client"/> among the accepting workers its listener may use; null when
    /// there is none (or the router holds it). When the router throws or answers outside the list, the client gets a worker
    /// picked by its connection number instead, and a log line (at most one per 10 s). Under the router's lock.
    /// </summary>
    private WorkerLink? Choose(ClientConnection client)
    {
        RoutingWorker[] eligible = Eligible(client);
        if (eligible.Length == 0)
        {
            return null;
        }

        if (_joinMoves.Count > 0 && _joinMoves.Remove(client, out WorkerLink? joined) && Array.IndexOf(eligible, joined.Routing) >= 0)
        {
            return joined; // moving to a worker that joined; one that stopped accepting since is not offered, and the router chooses
        }

        RoutingWorker? chosen;
        string? failure = null;
        try
        {
            chosen = _policy.Choose(new RoutingClient(client, store, client.Route.Worker?.Routing), eligible);
            if (chosen is not null && Array.IndexOf(eligible, chosen) < 0)
            {
                failure = $"it chose worker {chosen.NodeId}, which is not among the workers it was offered";
            }
        }
        catch (Exception ex)
        {
            chosen = null;
            failure = ex.ToString();
        }

        if (failure is not null)
        {
            long now = Environment.TickCount64;
            if (now - _policyFailedLogged >= 10_000 || _policyFailedLogged == 0)
            {
                _policyFailedLogged = now;
                Log.RouterFailed(logger, _policy.GetType().Name, client.ClientId, failure);
            }

            chosen = eligible[(int)((uint)client.Id % (uint)eligible.Length)];
        }

        return chosen?.Link;
    }

    /// <summary>The accepting workers a client of this listener may use (cached until a worker joins, leaves or stops accepting).</summary>
    private RoutingWorker[] Eligible(ClientConnection client)
    {
        int version = _workers.Version;
        if (version != _eligibleVersion)
        {
            _accepting = [.. _workers.All.Where(w => w.Accepting).Select(w => w.Routing)];
            _tagged.Clear();
            _eligibleVersion = version;
        }

        if (_listenerTags.Count == 0 || !_listenerTags.TryGetValue(client.Listener.Name, out string? tag))
        {
            return _accepting;
        }

        if (!_tagged.TryGetValue(tag, out RoutingWorker[]? tagged))
        {
            _tagged[tag] = tagged = [.. _accepting.Where(w => w.HasTag(tag))];
        }

        return tagged;
    }

    /// <summary>
    /// Something the router's choice depends on changed for <paramref name="client"/> (a uid bound, a group joined, its
    /// session set): when the router now chooses another worker, the client moves there once its current worker has
    /// acknowledged its earlier events (its next event waits for that). Does nothing for a router that does not depend
    /// on <paramref name="changed"/>.
    /// </summary>
    public void Reconsider(ClientConnection client, RoutingInputs changed)
    {
        if ((_policy.Inputs & changed) == 0)
        {
            return;
        }

        lock (_gate)
        {
            ReconsiderLocked(client);
        }
    }

    private bool ReconsiderLocked(ClientConnection client)
    {
        // A client with no worker yet chooses with its first event; one whose worker stopped accepting moves anyway.
        if (client.Route.Moving || client.Route.Worker is not { Accepting: true } current || client.IsClosing)
        {
            return false;
        }

        if (Choose(client) is not { } desired || desired == current)
        {
            return false;
        }

        Volatile.Write(ref client.Route.Moving, true);
        return true;
    }

    /// <summary>
    /// The routing configuration changed while running (SwooleGateway:Gateway:Routing): the new router and listener tags
    /// apply from now on, and every client the new router places elsewhere moves there (after its events in flight).
    /// </summary>
    public int Reconfigure(IEventRouter router, IReadOnlyDictionary<string, string> listenerTags)
    {
        int moving = 0;
        lock (_gate)
        {
            _policy = router;
            _listenerTags = listenerTags;
            _eligibleVersion = -1;
            foreach (KeyValuePair<ulong, ClientConnection> entry in store.Connections)
            {
                if (ReconsiderLocked(entry.Value))
                {
                    moving++;
                }
            }
        }

        return moving;
    }

    /// <summary>A worker joined and the router depends on the set of workers: every client the router now places elsewhere moves there.</summary>
    private void Rebalance(string nodeId)
    {
        if ((_policy.Inputs & RoutingInputs.Workers) == 0)
        {
            return;
        }

        int moving = 0;
        foreach (KeyValuePair<ulong, ClientConnection> entry in store.Connections)
        {
            if (ReconsiderLocked(entry.Value))
            {
                moving++;
            }
        }

        if (moving > 0)
        {
            Log.Rebalancing(logger, nodeId, moving, store.Count);
        }
    }

    /// <summary>
    /// A worker joined and the router is the stock round-robin one, which never moves a client by itself (RebalanceOnJoin):
    /// among the clients that may use the new worker, a fair share (their number divided by the workers they may use)
    /// moves to it, taken one at a time from whichever worker has the most of them left. Each moves with its next event,
    /// once its current worker has acknowledged the earlier ones, as any move does. Under the router's lock; a walk over
    /// the clients, once per worker that joins.
    /// </summary>
    private void SpreadTo(WorkerLink joined)
    {
        if (!_rebalanceOnJoin || _policy is not RoundRobinRouter || !joined.Accepting)
        {
            return;
        }

        long started = System.Diagnostics.Stopwatch.GetTimestamp();

        // The clients that could go to the new worker, grouped by the workers they may use (one group per listener tag)
        // and, within a group, by the worker they are on now.
        var groups = new Dictionary<RoutingWorker[], Dictionary<WorkerLink, List<ClientConnection>>>(ReferenceEqualityComparer.Instance);
        foreach (KeyValuePair<ulong, ClientConnection> entry in store.Connections)
        {
            ClientConnection client = entry.Value;
            if (client.Route.Moving || client.IsClosing || client.Route.Worker is not { Accepting: true } current || current == joined)
            {
                continue;
            }

            RoutingWorker[] eligible = Eligible(client);
            if (Array.IndexOf(eligible, joined.Routing) < 0)
            {
                continue;
            }

            if (!groups.TryGetValue(eligible, out Dictionary<WorkerLink, List<ClientConnection>>? byWorker))
            {
                groups[eligible] = byWorker = [];
            }

            if (!byWorker.TryGetValue(current, out List<ClientConnection>? clients))
            {
                byWorker[current] = clients = [];
            }

            clients.Add(client);
        }

        int moving = 0;
        int considered = 0;
        foreach ((RoutingWorker[] eligible, Dictionary<WorkerLink, List<ClientConnection>> byWorker) in groups)
        {
            int total = byWorker.Values.Sum(c => c.Count);
            considered += total;
            for (int share = total / eligible.Length; share > 0; share--)
            {
                List<ClientConnection> busiest = byWorker.Values.MaxBy(c => c.Count)!;
                ClientConnection client = busiest[^1];
                busiest.RemoveAt(busiest.Count - 1);
                _joinMoves[client] = joined;
                Volatile.Write(ref client.Route.Moving, true);
                moving++;
            }
        }

        if (moving > 0)
        {
            Log.SpreadingToJoinedWorker(logger, joined.Connection.PeerId, moving, considered, System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
    }

    /// <summary>Queues an event among the client's held ones (bounded by HoldEventsWithoutWorker: beyond it, dropped and counted).</summary>
    private bool Hold<TEvent>(ClientConnection client, in TEvent evt) where TEvent : struct, IClientEvent<TEvent>
    {
        ReadOnlySpan<byte> frame = _held < options.HoldEventsWithoutWorker ? Frame.Write(evt) : default; // a full hold builds no frame
        if (frame.IsEmpty || _heldBytes + frame.Length > options.HoldEventBytesWithoutWorker)
        {
            metrics.EventsDropped.Add(1);
            return false;
        }

        (client.Route.Held ??= new Queue<HeldEvent>()).Enqueue(HeldEvent.Copy(TEvent.Kind, frame, redelivered: false));
        _heldBytes += frame.Length;
        Volatile.Write(ref _held, _held + 1);
        metrics.EventsHeld.Add(1);
        return true;
    }

    private void WaitForWorker(ClientConnection client)
    {
        if (!client.Route.WaitingForWorker)
        {
            client.Route.WaitingForWorker = true;
            _waitingForWorker.Enqueue(client);
        }

        if (Interlocked.Exchange(ref _noWorkerWarned, 1) == 0)
        {
            Log.NoWorker(logger, options.HoldEventsWithoutWorker, options.HoldEventsFor.TotalSeconds);
        }
    }

    /// <summary>
    /// Sends the client's held events, in order, to the worker it goes to now (its own while that accepts; another once
    /// its earlier events are settled), dropping new events older than <paramref name="expiredBefore"/>. What cannot go
    /// yet stays held. Under the router's lock.
    /// </summary>
    private (int Sent, int Expired) Release(ClientConnection client, long expiredBefore)
    {
        Queue<HeldEvent>? held = client.Route.Held;
        if (held is null)
        {
            return (0, 0);
        }

        WorkerLink? target = null;
        int sent = 0;
        int sentToTarget = 0;
        int expired = 0;
        int attempts = 0;
        while (held.TryPeek(out HeldEvent e))
        {
            if (!e.Redelivered && e.Since < expiredBefore)
            {
                held.Dequeue();
                Forget(e);
                expired++;
                metrics.EventsDropped.Add(1);
                continue;
            }

            target ??= Target(client);
            if (target is null)
            {
                break;
            }

            if (!Resend(target, client, e))
            {
                // The target stopped accepting just now. What went to it already must be settled first; otherwise try another.
                if (sentToTarget > 0 || ++attempts >= PickAttempts)
                {
                    break;
                }

                target = null;
                _eligibleVersion = -1;
                continue;
            }

            held.Dequeue();
            Forget(e);
            sent++;
            sentToTarget++;
        }

        if (sentToTarget > 0)
        {
            MovedTo(client, target!);
        }

        if (sent + expired > 0)
        {
            client.Route.WakeReader(); // a read paused on its held events looks again (sent ones now count in flight)
        }

        if (held.Count == 0)
        {
            client.Route.Held = null;
        }
        else if (Volatile.Read(ref client.Route.InFlight) == 0 && Choose(client) is null)
        {
            WaitForWorker(client);
        }

        return (sent, expired);
    }

    /// <summary>The worker a client's held events may go to now; null while its earlier events are still out on a worker that stopped accepting or that it leaves.</summary>
    private WorkerLink? Target(ClientConnection client)
    {
        if (!client.Route.Moving && client.Route.Worker is { Accepting: true } current)
        {
            return current;
        }

        return Volatile.Read(ref client.Route.InFlight) > 0 ? null : Choose(client);
    }

    private void Forget(HeldEvent e)
    {
        e.Release();
        if (!e.Redelivered)
        {
            _heldBytes -= e.Length;
            Volatile.Write(ref _held, _held - 1);
        }
    }

    /// <summary>
    /// Drops the events that have waited for a worker longer than HoldEventsFor (oldest first, per client; redeliveries
    /// stay: they are bounded by the windows of the links they came from). Called every second, so held events leave
    /// memory even when no worker ever connects. Returns how many were dropped.
    /// </summary>
    public int ExpireHeld()
    {
        long expiredBefore = Environment.TickCount64 - (long)options.HoldEventsFor.TotalMilliseconds;
        int expired = 0;
        lock (_gate)
        {
            foreach (ClientConnection client in _waitingForWorker)
            {
                Queue<HeldEvent>? held = client.Route.Held;
                int before = expired;
                while (held is not null && held.TryPeek(out HeldEvent e) && !e.Redelivered && e.Since < expiredBefore)
                {
                    held.Dequeue();
                    Forget(e);
                    expired++;
                }

                if (expired > before)
                {
                    client.Route.WakeReader(); // fewer of its events wait now
                }
            }
        }

        if (expired > 0)
        {
            metrics.EventsDropped.Add(expired);
            Log.HeldEventsExpired(logger, expired, options.HoldEventsFor.TotalSeconds);
        }

        return expired;
    }

    /// <summary>Sends a kept event frame again, on <paramref name="target"/>'s numbering; a message whose session was left out gets the current one.</summary>
    private static bool Resend(WorkerLink target, ClientConnection client, in HeldEvent e)
    {
        FieldReader frame = Frame.Open(e.Body);
        EventFlags flags = e.Redelivered ? EventFlags.Redelivered : EventFlags.None;
        switch (e.Kind)
        {
            case MessageKind.ClientMessage:
            {
                ClientMessageFrame message = Frame.Read<ClientMessageFrame>(ref frame);
                if (message.Session is null)
                {
                    SessionState? session = Volatile.Read(ref client.Session);
                    message = message.WithSession(session?.Version ?? 0, Bytes(session));
                }

                return target.TrySendEvent(client, message, flags, e.Losses);
            }

            case MessageKind.ClientConnect:
                return target.TrySendEvent(client, Frame.Read<ClientConnectFrame>(ref frame), flags, e.Losses);
            default:
                return target.TrySendEvent(client, Frame.Read<ClientCloseFrame>(ref frame), flags, e.Losses);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(3005, LogLevel.Information, "Worker {NodeId} is draining: no new events are sent to it; its clients move to other workers as it finishes their {Unacknowledged} unacknowledged events", EventName = "WorkerDraining")]
        public static partial void WorkerDraining(ILogger logger, string nodeId, int unacknowledged);

        [LoggerMessage(3006, LogLevel.Warning, "No worker is connected: holding client events (at most {Max}, for {Seconds} s) until one connects; beyond that they are dropped and counted", EventName = "NoWorker")]
        public static partial void NoWorker(ILogger logger, int max, double seconds);

        [LoggerMessage(3023, LogLevel.Warning, "Dropped {Expired} client events that waited for a worker longer than HoldEventsFor ({Seconds} s): no worker is connected", EventName = "HeldEventsExpired")]
        public static partial void HeldEventsExpired(ILogger logger, int expired, double seconds);

        [LoggerMessage(3017, LogLevel.Information, "Replayed {Replayed} held client events to worker {NodeId} ({Expired} were older than HoldEventsFor and dropped)", EventName = "HeldEventsReplayed")]
        public static partial void HeldEventsReplayed(ILogger logger, int replayed, string nodeId, int expired);

        [LoggerMessage(3019, LogLevel.Warning, "Worker {NodeId} left without acknowledging {Events} events of {Clients} clients: redelivering them, in order and flagged as redelivered, to the workers that take those clients over", EventName = "Redelivering")]
        public static partial void Redelivering(ILogger logger, string nodeId, int events, int clients);

        [LoggerMessage(3024, LogLevel.Error, "The event router {Router} failed for client {ClientId} (routing it to a worker of its choice instead; logged at most every 10 s): {Reason}", EventName = "RouterFailed")]
        public static partial void RouterFailed(ILogger logger, string router, string clientId, string reason);

        [LoggerMessage(3025, LogLevel.Information, "Worker {NodeId} joined: {Moving} of {Clients} clients move to the workers the router places them on now, each after its current worker has finished its events", EventName = "Rebalancing")]
        public static partial void Rebalancing(ILogger logger, string nodeId, int moving, int clients);

        [LoggerMessage(3034, LogLevel.Information, "Worker {NodeId} joined: {Moving} of the {Clients} clients that may use it move to it from the busiest workers (Routing:RebalanceOnJoin), each after its current worker has finished its events (chosen in {Milliseconds:0.0} ms)", EventName = "SpreadingToJoinedWorker")]
        public static partial void SpreadingToJoinedWorker(ILogger logger, string nodeId, int moving, int clients, double milliseconds);

        [LoggerMessage(3035, LogLevel.Error, "Dropped the {Kind} event of client {ClientId} instead of redelivering it: {Losses} workers (the last {NodeId}) went away while it was that client's oldest unfinished event (MaxWorkerLossesPerEvent {Max}). It may be what brings them down: look for what its handler does with it. The client's later events go on", EventName = "PoisonEventDropped")]
        public static partial void PoisonEventDropped(ILogger logger, string kind, string clientId, int losses, string nodeId, int max);

        [LoggerMessage(3033, LogLevel.Information, "Client {ClientId} has {InFlight} events no handler has finished (sent to worker {NodeId}, or held while it has none; MaxUnackedEventsPerClient {Max}): its reads pause until a quarter of them are done; other clients go on", EventName = "ClientWindowFull")]
        public static partial void ClientWindowFull(ILogger logger, string clientId, int inFlight, string nodeId, int max);

        [LoggerMessage(3020, LogLevel.Warning, "Worker {NodeId} has {Unacknowledged} unacknowledged events (MaxUnackedEventsPerWorker {MaxEvents}, MaxUnackedBytesPerWorker {MaxBytes}): its clients' reads pause until it catches up", EventName = "WorkerWindowFull")]
        public static partial void WindowFull(ILogger logger, string nodeId, int unacknowledged, int maxEvents, long maxBytes);
    }
}
