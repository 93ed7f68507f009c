namespace SwooleGateway.Gateway.Routing;

/// <summary>
/// Where one client's events go: the <see cref="EventRouter"/>'s per-client state, kept inside the connection (no object
/// of its own per client). Only the router and the <see cref="WorkerLink"/> that carries the client's events touch it;
/// which lock guards which field is stated per field.
/// </summary>
/// <remarks>
/// Invariants: every event of the client that a worker has not acknowledged is on <see cref="Worker"/>'s link, and
/// <see cref="InFlight"/> counts them; <see cref="Held"/> holds the events that have not gone to any worker yet, in the
/// order the client caused them, and is only ever non-empty while <see cref="Worker"/> takes no events (draining, gone,
/// or none) or the client is <see cref="Moving"/>. So a new event either goes straight to an accepting <see cref="Worker"/> or queues behind the held ones.
/// </remarks>
internal struct ClientRoute
{
    /// <summary>The worker this client's events go to. Read without a lock on the fast path; written under the router's lock.</summary>
    public WorkerLink? Worker;

    /// <summary>The link whose worker last got this client's session, and its version (under that link's lock).</summary>
    public WorkerLink? SessionSentTo;

    public uint SessionSentVersion;

    /// <summary>Events sent to <see cref="Worker"/> and not acknowledged yet (interlocked).</summary>
    public int InFlight;

    /// <summary>
    /// Completed when this client's paused read may go on (interlocked; set by the client's read loop when it has
    /// MaxUnackedEventsPerClient events in flight or held, taken by whoever lowers <see cref="InFlight"/> enough or
    /// takes events out of <see cref="Held"/>).
    /// </summary>
    public TaskCompletionSource? Room;

    /// <summary>Events waiting for a worker, oldest first (under the router's lock).</summary>
    public Queue<HeldEvent>? Held;

    /// <summary>
    /// The router chose another worker for this client (its key changed, or a worker joined) while <see cref="Worker"/>
    /// still takes events: new events go the slow way, wait until <see cref="Worker"/> has acknowledged the earlier
    /// ones, then go to the worker chosen then. Written under the router's lock; read without it on the fast path.
    /// </summary>
    public bool Moving;

    /// <summary>Listed among the clients that wait for any worker to connect (under the router's lock).</summary>
    public bool WaitingForWorker;

    /// <summary>A client paused at <c>MaxUnackedEventsPerClient</c> = <paramref name="max"/> reads again at this many unfinished events.</summary>
    public static int ResumeMark(int max) => max * 3 / 4;

    /// <summary>Lets the client's paused read go on (its events were acknowledged, or taken back from a closed link).</summary>
    public void WakeReader() => Interlocked.Exchange(ref Room, null)?.TrySetResult();
}
