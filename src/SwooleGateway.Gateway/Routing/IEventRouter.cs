using SwooleGateway.Gateway.Clients;

namespace SwooleGateway.Gateway.Routing;

/// <summary>
/// Chooses the worker that handles a client's events. The gateway asks for a client's first event, when its worker stops
/// taking events (it drains, stops or is lost), when what the choice depends on changes (<see cref="Inputs"/>), and, for
/// routers whose choice depends on the set of workers, when a worker joins. A client then moves to the new worker once
/// the old one has acknowledged its events, so its events stay in order. Register one in DI
/// (<c>services.AddSingleton&lt;IEventRouter, MyRouter&gt;()</c>) to replace the configured one
/// (<c>SwooleGateway:Gateway:Routing</c>).
/// </summary>
/// <remarks>
/// Called under the gateway's routing lock, never on the per-message fast path: keep it quick and do not block. Every
/// gateway must choose the same worker for the same inputs for key affinity to hold across gateways, so choose from
/// stable values (the worker's <see cref="RoutingWorker.NodeId"/>, the key), never from a per-process random seed
/// (<see cref="string.GetHashCode()"/> is one).
/// </remarks>
public interface IEventRouter
{
    /// <summary>What the choice depends on: the gateway asks again when one of these changes for a client.</summary>
    RoutingInputs Inputs { get; }

    /// <summary>
    /// The worker for <paramref name="client"/>, one of <paramref name="workers"/> (the workers that take events now and
    /// that the client's listener may use; never empty). Null holds the client's events until a worker connects.
    /// </summary>
    RoutingWorker? Choose(RoutingClient client, IReadOnlyList<RoutingWorker> workers);
}

/// <summary>What an <see cref="IEventRouter"/>'s choice depends on.</summary>
[Flags]
public enum RoutingInputs
{
    /// <summary>Only the client's listener and the workers' load: a client stays where it is until its worker leaves.</summary>
    None = 0,

    /// <summary>The client's uid: asked again when a uid is bound.</summary>
    Uid = 1,

    /// <summary>The client's groups: asked again when it joins or leaves a group.</summary>
    Groups = 2,

    /// <summary>The client's session: asked again when it is set or updated.</summary>
    Session = 4,

    /// <summary>The set of workers: when a worker joins, every client is asked about again (consistent hashing).</summary>
    Workers = 8,
}

/// <summary>A worker connected to this gateway, as an <see cref="IEventRouter"/> sees it.</summary>
public sealed class RoutingWorker
{
    internal RoutingWorker(WorkerLink link)
    {
        Link = link;
        NodeId = link.Connection.PeerId;
        Tags = link.Connection.PeerTags;
    }

    /// <summary>A worker without a link (to compute routes offline, in tests and tools).</summary>
    internal RoutingWorker(string nodeId, string[] tags)
    {
        Link = null!;
        NodeId = nodeId;
        Tags = tags;
    }

    /// <summary>The worker's name (<c>SwooleGateway:Worker:Name</c>, or a generated one): the same on every gateway.</summary>
    public string NodeId { get; }

    /// <summary>The worker's <c>SwooleGateway:Worker:Tags</c>.</summary>
    public IReadOnlyList<string> Tags { get; }

    /// <summary>Events sent to it that it has not acknowledged yet.</summary>
    public int Unacknowledged => Link.Unacknowledged;

    /// <summary>
    /// It is behind or may be gone: its window of unacknowledged events is full, or it has sent nothing for more than one
    /// and a half heartbeat intervals (down, frozen or cut off; the heartbeat timeout decides). A new client is better
    /// off elsewhere.
    /// </summary>
    public bool IsBusy => Link.IsFull || Link.Connection.IsSilent;

    internal WorkerLink Link { get; }

    /// <summary>Whether it has <paramref name="tag"/> (ordinal).</summary>
    public bool HasTag(string tag)
    {
        foreach (string t in Tags)
        {
            if (string.Equals(t, tag, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    public override string ToString() => NodeId;
}

/// <summary>A client, as an <see cref="IEventRouter"/> sees it. Its uid, groups and session are read when first asked for.</summary>
public sealed class RoutingClient
{
    private readonly ClientConnection _connection;
    private readonly ClientStore _store;
    private (string? Uid, string[] Groups)? _membership;
    private IReadOnlyDictionary<string, object?>? _session;
    private bool _sessionRead;

    internal RoutingClient(ClientConnection connection, ClientStore store, RoutingWorker? current)
    {
        _connection = connection;
        _store = store;
        Current = current;
    }

    /// <summary>The client id (as workers see it).</summary>
    public string ClientId => _connection.ClientId;

    /// <summary>The name of the listener it connected to.</summary>
    public string Listener => _connection.Listener.Name;

    /// <summary>"websocket" or "tcp".</summary>
    public string Transport => _connection.Listener.Transport;

    /// <summary>The worker its events go to now; null before its first event and after its worker left.</summary>
    public RoutingWorker? Current { get; }

    /// <summary>Its uid, or null when none is bound.</summary>
    public string? Uid => Membership.Uid;

    /// <summary>The groups it is in.</summary>
    public IReadOnlyList<string> Groups => Membership.Groups;

    /// <summary>Its session, or null when it has none.</summary>
    public IReadOnlyDictionary<string, object?>? Session
    {
        get
        {
            if (!_sessionRead)
            {
                _session = Volatile.Read(ref _connection.Session)?.Decode();
                _sessionRead = true;
            }

            return _session;
        }
    }

    private (string? Uid, string[] Groups) Membership => _membership ??= _store.Membership(_connection);
}
