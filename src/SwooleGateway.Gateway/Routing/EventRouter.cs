using System.Buffers;
using Microsoft.Extensions.Logging;
using SwooleGateway.Gateway.Clients;
using SwooleGateway.Protocol;
using SwooleGateway.Protocol.Messages;

namespace SwooleGateway.Gateway.Routing;

/// <summary>
/// Routing client events to workers: the pool of workers, stickiness (a client's events go to the same worker while it
/// accepts), the handover of a draining worker's clients, and the events held while no worker is connected. Builds the
/// event frames; a client's events always reach a worker in the order the client caused them.
/// </summary>
internal sealed partial class EventRouter(GatewayOptions options, ILogger logger)
{
    private readonly WorkerPool _workers = new();
    private readonly Lock _hold = new();
    private readonly Queue<(long At, byte[] Frame)> _held = new(); // events that arrived while no worker was connected; under _hold
    private int _noWorkerWarned;

    /// <summary>Workers that take events now.</summary>
    public int WorkerCount => _workers.Count;

    // ---- events ----

    /// <summary>A client was accepted: its connect event, with what its handshake told.</summary>
    public void OnConnected(ClientConnection connection, ClientHandshake handshake)
    {
        (WorkerLink? Target, WorkerLink? HoldFor) route = Route(connection);
        SessionState? session = Volatile.Read(ref connection.Session);
        var frame = new ClientConnectFrame(connection.Id, connection.Remote?.Address.ToString() ?? "", (uint)(connection.Remote?.Port ?? 0),
            connection.Listener.Name, connection.Listener.Transport, handshake.Path, handshake.Headers, handshake.SubProtocol,
            session?.Version ?? 0, Bytes(session), connection.Uid, handshake.Query);
        connection.Route.SessionSentVersion = route.Target is null ? -1 : session?.Version ?? 0;
        Deliver(route, connection, Frame.Write(frame));
    }

    /// <summary>Hot path: client frame → worker. Builds the event frame in the thread's scratch buffer; allocates nothing.</summary>
    public void OnMessage(ClientConnection connection, in ReadOnlySequence<byte> payload, bool text)
    {
        (WorkerLink? Target, WorkerLink? HoldFor) route = Route(connection);
        SessionState? session = Volatile.Read(ref connection.Session);
        uint version = session?.Version ?? 0;
        ReadOnlySequence<byte>? sessionBytes = null; // nil: unchanged since the version this worker has
        if (route.Target is null || connection.Route.SessionSentVersion != version)
        {
            // A held event may reach any worker later: it carries the session in full.
            sessionBytes = Bytes(session);
            connection.Route.SessionSentVersion = route.Target is null ? -1 : version;
        }

        var frame = new ClientMessageFrame(connection.Id, version, sessionBytes, payload, text ? EventFlags.Text : EventFlags.None);
        Deliver(route, connection, Frame.Write(frame));
    }

    /// <summary>A client closed: its close event, with the uid and groups it had.</summary>
    public void OnClosed(ClientConnection connection, string? uid, string[] groups)
    {
        (WorkerLink? Target, WorkerLink? HoldFor) route = Route(connection);
        var frame = new ClientCloseFrame(connection.Id, Bytes(Volatile.Read(ref connection.Session)), uid, new StringList(groups));
        Deliver(route, connection, Frame.Write(frame));
    }

    private static ReadOnlySequence<byte> Bytes(SessionState? session) =>
        session is null ? ReadOnlySequence<byte>.Empty : new ReadOnlySequence<byte>(session.Bytes);

    // ---- workers ----

    /// <summary>A worker connected: replay the held events (dropping those older than HoldEventsFor), then let it take new ones.</summary>
    public void WorkerConnected(WorkerLink link)
    {
        int replayed = 0;
        int expired = 0;
        lock (_hold)
        {
            long oldest = Environment.TickCount64 - (long)options.HoldEventsFor.TotalMilliseconds;
            while (_held.TryDequeue(out (long At, byte[] Frame) held))
            {
                if (held.At < oldest)
                {
                    expired++;
                    continue;
                }

                link.TrySendEvent(held.Frame);
                replayed++;
            }

            _workers.Add(link);
        }

        Interlocked.Exchange(ref _noWorkerWarned, 0);
        GatewayMetrics.EventsDropped.Add(expired);
        if (replayed + expired > 0)
        {
            Log.HeldEventsReplayed(logger, replayed, link.Connection.PeerId, expired);
        }
    }

    /// <summary>A worker said it is stopping: nothing new is routed to it; its clients move on once it has finished.</summary>
    public void WorkerDraining(WorkerLink link)
    {
        link.MarkDraining(); // FIFO link: every event routed before the acknowledgement precedes it
        Log.WorkerDraining(logger, link.Connection.PeerId);
    }

    /// <summary>A worker's link closed: pass the events held behind it, in order, to the workers that take its clients over.</summary>
    public void WorkerDisconnected(WorkerLink link)
    {
        _workers.Remove(link);
        lock (_hold)
        {
            while (link.HeldForHandover?.TryDequeue(out (ClientConnection Connection, byte[] Frame) held) == true)
            {
                if (Successor(held.Connection) is { } successor)
                {
                    successor.TrySendEvent(held.Frame);
                }
                else if (_held.Count < options.HoldEventsWithoutWorker)
                {
                    _held.Enqueue((Environment.TickCount64, held.Frame));
                }
                else
                {
                    GatewayMetrics.EventsDropped.Add(1);
                }
            }

            link.HandedOver = true;
        }
    }

    // ---- routing ----

    /// <summary>
    /// Where this client's next event goes: its worker while that accepts; nowhere yet (hold for handover) while its
    /// worker is draining and still finishing earlier events; else the worker that took it over, or the next one.
    /// Called only from the client's read loop.
    /// </summary>
    private (WorkerLink? Target, WorkerLink? HoldFor) Route(ClientConnection connection)
    {
        WorkerLink? worker = connection.Route.Worker;
        if (worker is { Accepting: true })
        {
            return (worker, null);
        }

        if (worker is { IsDraining: true, HandedOver: false })
        {
            return (null, worker);
        }

        WorkerLink? next = connection.Route.HandoverTarget is { Accepting: true } taken ? taken : _workers.Pick();
        connection.Route.Worker = next;
        connection.Route.SessionSentVersion = -1;
        return (next, null);
    }

    /// <summary>
    /// Sends an event frame to its worker; or holds it behind a draining worker until that one has finished; or, with
    /// no worker at all, holds it until one connects (bounded in count and age). Either way a client's events stay in order.
    /// </summary>
    private void Deliver((WorkerLink? Target, WorkerLink? HoldFor) route, ClientConnection connection, ReadOnlySpan<byte> frame)
    {
        if (route.Target is { } target)
        {
            target.TrySendEvent(frame);
            return;
        }

        lock (_hold)
        {
            if (route.HoldFor is { } draining)
            {
                if (!draining.HandedOver)
                {
                    Queue<(ClientConnection, byte[])> queue = draining.HeldForHandover ??= new();
                    if (queue.Count >= Math.Max(1, options.HoldEventsWithoutWorker))
                    {
                        GatewayMetrics.EventsDropped.Add(1);
                        return;
                    }

                    queue.Enqueue((connection, frame.ToArray()));
                    return;
                }

                if (Successor(connection) is { } successor)
                {
                    successor.TrySendEvent(frame);
                    return;
                }
            }

            // Re-check under the lock that publishes new workers: either the worker is visible now, or it will
            // replay this frame before it takes any other event, so a client's events stay in order.
            if (_workers.Pick() is { } late)
            {
                late.TrySendEvent(frame);
                return;
            }

            if (_held.Count >= options.HoldEventsWithoutWorker)
            {
                GatewayMetrics.EventsDropped.Add(1);
                return;
            }

            _held.Enqueue((Environment.TickCount64, frame.ToArray()));
            GatewayMetrics.EventsHeld.Add(1);
        }

        if (Interlocked.Exchange(ref _noWorkerWarned, 1) == 0)
        {
            Log.NoWorker(logger, options.HoldEventsWithoutWorker, options.HoldEventsFor.TotalSeconds);
        }
    }

    /// <summary>The worker that takes a client over from a draining one: chosen once (under the hold lock), re-chosen if it left.</summary>
    private WorkerLink? Successor(ClientConnection connection)
    {
        if (connection.Route.HandoverTarget is not { Accepting: true })
        {
            connection.Route.HandoverTarget = _workers.Pick();
        }

        return connection.Route.HandoverTarget;
    }

    private static partial class Log
    {
        [LoggerMessage(3005, LogLevel.Information, "Worker {NodeId} is draining: no new events are sent to it", EventName = "WorkerDraining")]
        public static partial void WorkerDraining(ILogger logger, string nodeId);

        [LoggerMessage(3006, LogLevel.Warning, "No worker is connected: holding client events (at most {Max}, for {Seconds} s) until one connects; beyond that they are dropped and counted", EventName = "NoWorker")]
        public static partial void NoWorker(ILogger logger, int max, double seconds);

        [LoggerMessage(3017, LogLevel.Information, "Replayed {Replayed} held client events to worker {NodeId} ({Expired} were older than HoldEventsFor and dropped)", EventName = "HeldEventsReplayed")]
        public static partial void HeldEventsReplayed(ILogger logger, int replayed, string nodeId, int expired);
    }
}
