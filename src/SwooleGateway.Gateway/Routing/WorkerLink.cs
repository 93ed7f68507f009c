using SwooleGateway.Gateway.Clients;
using SwooleGateway.Protocol;
using SwooleGateway.Protocol.Messages;
using SwooleGateway.Transport;

namespace SwooleGateway.Gateway.Routing;

/// <summary>
/// A worker (or an API-only client) connected to this gateway's internal port, as the router sees it: the events it was
/// sent and has not acknowledged, numbered per link. Everything that changes that state happens under the link's own
/// lock, in the methods below: sending an event, an acknowledgement, the worker draining, the link closing.
/// </summary>
internal sealed partial class WorkerLink
{
    private readonly Lock _gate = new();
    private readonly Dictionary<ulong, Outstanding> _unacked = []; // under _gate
    private readonly List<ulong> _scratch = []; // under _gate
    private readonly Stack<byte[]> _buffers = new(); // under _gate: copies of acknowledged events, for the next ones
    private readonly int _maxEvents;
    private readonly long _maxBytes;
    private ulong _lastSequence; // under _gate
    private long _unackedBytes; // under _gate
    private int _unackedCount; // written under _gate, read without
    private bool _accepting = true; // under _gate
    private volatile bool _draining;
    private TaskCompletionSource? _room; // under _gate: completed when the window has room again

    /// <summary>Size of the event copies a link keeps for reuse (the shared pool's smallest class: most events fit).</summary>
    private const int KeptBufferSize = 256;

    /// <summary>How many of them it keeps (64 KiB): enough for the events in flight on a busy link.</summary>
    private const int MaxKeptBuffers = 256;

    public WorkerLink(InternalConnection connection, bool receivesEvents, int maxUnackedEvents, long maxUnackedBytes)
    {
        Connection = connection;
        ReceivesEvents = receivesEvents;
        _maxEvents = Math.Max(1, maxUnackedEvents);
        _maxBytes = Math.Max(1, maxUnackedBytes);
    }

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
    public int Unacknowledged => Volatile.Read(ref _unackedCount);

    /// <summary>The window of unacknowledged events is full (MaxUnackedEventsPerWorker or MaxUnackedBytesPerWorker).</summary>
    public bool IsFull => Volatile.Read(ref _unackedCount) >= _maxEvents || Volatile.Read(ref _unackedBytes) >= _maxBytes;

    /// <summary>
    /// Sends one client event: numbers it on this link, keeps a copy until the worker acknowledges it, and counts it in
    /// flight for its client. A message leaves the session out when this link's worker already has that version. False
    /// (nothing sent) when the worker takes no new events: it is draining, or its link is closing.
    /// </summary>
    public bool TrySendEvent<TEvent>(ClientConnection client, in TEvent evt, EventFlags flags = EventFlags.None)
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
            byte[] copy = frame.Length > KeptBufferSize ? BufferPool.Rent(frame.Length)
                : _buffers.TryPop(out byte[]? kept) ? kept : BufferPool.Rent(KeptBufferSize);
            frame.CopyTo(copy);
            _unacked.Add(sequence, new Outstanding(client, new HeldEvent(TEvent.Kind, copy, frame.Length, Redelivered: false, Since: 0)));
            _unackedBytes += frame.Length;
            _unackedCount++;
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
            ULongList.Enumerator pairs = ranges.GetEnumerator();
            while (pairs.MoveNext())
            {
                ulong first = pairs.Current;
                pairs.MoveNext();
                ulong last = Math.Min(pairs.Current, _lastSequence);
                if (last < first)
                {
                    continue;
                }

                if (last - first >= (ulong)_unacked.Count)
                {
                    // A wide range (or a hostile one): walk the table instead of the numbers.
                    _scratch.Clear();
                    foreach (ulong sequence in _unacked.Keys)
                    {
                        if (sequence >= first && sequence <= last)
                        {
                            _scratch.Add(sequence);
                        }
                    }

                    foreach (ulong sequence in _scratch)
                    {
                        Forget(sequence, finished);
                    }
                }
                else
                {
                    for (ulong sequence = first; ; sequence++)
                    {
                        Forget(sequence, finished);
                        if (sequence == last)
                        {
                            break;
                        }
                    }
                }
            }

            if (_room is not null && _unackedCount < _maxEvents * 3 / 4 && _unackedBytes < _maxBytes * 3 / 4)
            {
                _room.TrySetResult();
                _room = null;
            }
        }
    }

    private void Forget(ulong sequence, List<ClientConnection> finished)
    {
        if (!_unacked.Remove(sequence, out Outstanding entry))
        {
            return;
        }

        _unackedBytes -= entry.Event.Length;
        _unackedCount--;
        // An event of up to KeptBufferSize bytes has a buffer of at least that size. Decided by the length kept here, not
        // by the array's: this thread need not touch the buffer the next event is copied into.
        if (entry.Event.Length <= KeptBufferSize && _buffers.Count < MaxKeptBuffers)
        {
            _buffers.Push(entry.Event.Buffer); // reused under this lock: no trip to the shared pool for most events
        }
        else
        {
            entry.Event.Release();
        }
        if (Interlocked.Decrement(ref entry.Client.Route.InFlight) == 0 && !_accepting)
        {
            finished.Add(entry.Client);
        }
    }

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
            var left = new List<Outstanding>(_unacked.Count);
            foreach (ulong sequence in _unacked.Keys.Order())
            {
                left.Add(_unacked[sequence]);
            }

            _unacked.Clear();
            while (_buffers.TryPop(out byte[]? kept))
            {
                BufferPool.Return(kept);
            }

            _unackedBytes = 0;
            _unackedCount = 0;
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
            if (!_accepting || (_unackedCount < _maxEvents && _unackedBytes < _maxBytes))
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
