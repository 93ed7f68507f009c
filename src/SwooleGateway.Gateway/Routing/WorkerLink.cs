using SwooleGateway.Gateway.Clients;
using SwooleGateway.Protocol;
using SwooleGateway.Protocol.Messages;

namespace SwooleGateway.Gateway.Routing;

/// <summary>
/// A worker (or an API-only client) connected to this gateway's internal port, as the router sees it: the events it was
/// sent and has not acknowledged, numbered per link. Everything that changes that state happens under the link's own
/// lock, in the methods below: sending an event, an acknowledgement, the worker draining, the link closing.
/// </summary>
internal sealed partial class WorkerLink
{
    private readonly Lock _gate = new();
    private readonly UnackedEvents _unacked = new(); // under _gate (its counts are read without)
    private readonly int _maxEvents;
    private readonly long _maxBytes;
    private readonly int _clientResumeMark; // a client's paused read goes on when its events in flight fall to this
    private ulong _lastSequence; // under _gate
    private bool _accepting = true; // under _gate
    private volatile bool _draining;
    private TaskCompletionSource? _room; // under _gate: completed when the window has room again

    public WorkerLink(InternalConnection connection, bool receivesEvents, int maxUnackedEvents, long maxUnackedBytes, int maxUnackedPerClient = 0)
    {
        _clientResumeMark = ClientRoute.ResumeMark(maxUnackedPerClient);
        Connection = connection;
        ReceivesEvents = receivesEvents;
        _maxEvents = Math.Max(1, maxUnackedEvents);
        _maxBytes = Math.Max(1, maxUnackedBytes);
        Routing = new RoutingWorker(this);
    }

    /// <summary>This worker as an <see cref="IEventRouter"/> sees it.</summary>
    public RoutingWorker Routing { get; }

    public InternalConnection Connection { get; }

    /// <summary>False for GatewayClient links: they send commands but get no client events.</summary>
    public bool ReceivesEvents { get; }

    /// <summary>True while the link is up and the worker has not said it is draining.</summary>
    public bool Accepting => !_draining && !Connection.Closing.IsCancellationRequested;

    /// <summary>The worker said it is stopping: it gets nothing new, and finishes what it has.</summary>
    public bool IsDraining => _draining;

    /// <summary>Events sent on this link so far (its last sequence number).</summary>
    public ulong EventsSent => Volatile.Read(ref _lastSequence);

    /// <summary>Events sent and not acknowledged yet.</summary>
    public int Unacknowledged => Volatile.Read(ref _unacked.Count);

    /// <summary>The window of unacknowledged events is full (MaxUnackedEventsPerWorker or MaxUnackedBytesPerWorker).</summary>
    public bool IsFull => Volatile.Read(ref _unacked.Count) >= _maxEvents || Volatile.Read(ref _unacked.Bytes) >= _maxBytes;

    /// <summary>
    /// Sends one client event: numbers it on this link, keeps a copy until the worker acknowledges it, and counts it in
    /// flight for its client. A message leaves the session out when this link's worker already has that version. False
    /// (nothing sent) when the worker takes no new events: it is draining, or its link is closing.
    /// </summary>
    public bool TrySendEvent<TEvent>(ClientConnection client, in TEvent evt, EventFlags flags = EventFlags.None, byte losses = 0)
        where TEvent : struct, IClientEvent<TEvent>
    {
        bool owesFlush;
        lock (_gate)
        {
            if (!_accepting || Connection.Closing.IsCancellationRequested)
            {
                return false;
            }

            bool workerHasSession = client.Route.SessionSentTo == this && client.Route.SessionSentVersion == evt.SessionVersion;
            ulong sequence = ++_lastSequence;
            ReadOnlySpan<byte> frame = Frame.Write(evt.ForLink(sequence, flags, workerHasSession));
            _unacked.Add(sequence, client, TEvent.Kind, frame, losses);
            client.Route.SessionSentTo = this;
            client.Route.SessionSentVersion = evt.SessionVersion;
            Interlocked.Increment(ref client.Route.InFlight);

            // Written under the lock, so the link carries events in sequence order and nothing after DrainAck; flushed
            // after it, so other clients' events do not wait for the flush. False only when the link is closing or cut
            // off: the copy above goes to another worker once it has closed.
            Connection.WriteDeferred(frame, out owesFlush);
        }

        if (owesFlush)
        {
            Connection.FlushNow();
        }

        return true;
    }

    /// <summary>
    /// The worker acknowledged the events in <paramref name="ranges"/> (pairs first, last): they are forgotten. Clients of a
    /// draining worker whose last event this was are added to <paramref name="finished"/> (they may move on now).
    /// </summary>
    public void Acknowledge(in ULongList ranges, List<ClientConnection> finished)
    {
        lock (_gate)
        {
            var state = new AckState(finished, !_accepting, _clientResumeMark);
            ULongList.Enumerator pairs = ranges.GetEnumerator();
            while (pairs.MoveNext())
            {
                ulong first = pairs.Current;
                pairs.MoveNext();
                _unacked.RemoveRange(first, pairs.Current, ref state, static (ClientConnection client, ref AckState s) =>
                {
                    int left = Interlocked.Decrement(ref client.Route.InFlight);
                    if (left == 0 && (s.Draining || Volatile.Read(ref client.Route.Moving)))
                    {
                        s.Finished.Add(client);
                    }

                    if (left <= s.ResumeMark && Volatile.Read(ref client.Route.Room) is not null)
                    {
                        client.Route.WakeReader();
                    }
                });
            }

            if (_room is not null && _unacked.Count < _maxEvents * 3 / 4 && _unacked.Bytes < _maxBytes * 3 / 4)
            {
                _room.TrySetResult();
                _room = null;
            }
        }
    }

    private readonly record struct AckState(List<ClientConnection> Finished, bool Draining, int ResumeMark);

    /// <summary>
    /// The worker asked for no new events: answers <see cref="DrainAckFrame"/>, which follows every event already sent to
    /// it on the FIFO link, so the worker knows when it has everything it will get.
    /// </summary>
    public void MarkDraining()
    {
        lock (_gate)
        {
            _accepting = false;
            _draining = true;
            Connection.TrySend(new DrainAckFrame());
        }
    }

    /// <summary>
    /// The link has closed: takes every event the worker did not acknowledge, oldest first, for redelivery to the workers
    /// that take their clients over. Nothing is sent on this link any more.
    /// </summary>
    public List<Outstanding> Close()
    {
        lock (_gate)
        {
            _accepting = false;
            List<Outstanding> left = _unacked.TakeAll();
            _room?.TrySetResult();
            _room = null;
            return left;
        }
    }

    /// <summary>
    /// Completes when the window has room again (below three quarters of its bounds) or the link closed; null when it has
    /// room now. <paramref name="newEpisode"/> is true for the first caller of a full episode (it logs).
    /// </summary>
    public Task? WaitForRoom(out bool newEpisode)
    {
        newEpisode = false;
        lock (_gate)
        {
            if (!_accepting || (_unacked.Count < _maxEvents && _unacked.Bytes < _maxBytes))
            {
                return null;
            }

            if (_room is null)
            {
                newEpisode = true;
                _room = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            return _room.Task;
        }
    }

    /// <summary>An event the worker has not acknowledged, and the client it belongs to.</summary>
    internal readonly record struct Outstanding(ClientConnection Client, HeldEvent Event);
}
