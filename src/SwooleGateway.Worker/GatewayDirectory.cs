using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.Logging;
using SwooleGateway.Hosting;
using SwooleGateway.Options;
using SwooleGateway.Protocol;
using SwooleGateway.Protocol.Messages;
using SwooleGateway.Transport;
using SwooleGateway.Worker.Execution;

namespace SwooleGateway.Worker;

/// <summary>
/// Which gateways exist and the links to them: subscribes to every register, connects to every gateway
/// listed, keeps each link up with backoff while its gateway is listed, and resolves a client id to its
/// gateway's link in O(1). A register outage changes nothing here: links stay up, lists are kept.
/// </summary>
internal sealed class GatewayDirectory : IFrameHandler
{
    private readonly SocketTransport _sockets;
    private readonly SwooleGatewayOptions _options;
    private readonly ILogger _logger;
    private readonly string _role;
    private readonly HandlerScheduler? _scheduler;
    private readonly ConcurrentDictionary<string, GatewayLink> _links = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, GatewayLink>.AlternateLookup<ReadOnlySpan<char>> _linksBySpan;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, IReadOnlyList<GatewayInfo>> _listsByRegister = [];
    private readonly HashSet<string> _running = [];
    private readonly HashSet<Task> _loops = []; // under _gate: the gateway loops still running (each removes itself when it ends)
    private readonly ConcurrentDictionary<string, long> _lostUntil = new(StringComparer.Ordinal); // expired entries are pruned by Targets
    private readonly ConcurrentDictionary<string, long> _leftUntil = new(StringComparer.Ordinal); // said goodbye: a register still listing it is behind
    private readonly TimeSpan _missingWindow;
    private readonly Dictionary<string, InternalConnection> _registerLinks = new(StringComparer.Ordinal); // under _gate: registers linked now, by address
    private readonly string[] _tags; // sent to every gateway in the handshake
    private GatewayLink[] _snapshot = [];
    private CancellationToken _stopping;

    public GatewayDirectory(SocketTransport sockets, SwooleGatewayOptions options, ILogger logger, string role, string nodeId, HandlerScheduler? scheduler,
        TimeSpan? missingGatewayWindow = null, string[]? tags = null)
    {
        _tags = tags ?? [];
        _missingWindow = missingGatewayWindow ?? TimeSpan.FromSeconds(10);
        _sockets = sockets;
        _options = options;
        _logger = logger;
        _role = role;
        NodeId = nodeId;
        _scheduler = scheduler;
        _linksBySpan = _links.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public string NodeId { get; }

    /// <summary>The open gateway links (a snapshot; never modified after it is returned).</summary>
    public GatewayLink[] Links => Volatile.Read(ref _snapshot);

    /// <summary>
    /// Who a cluster-wide query must reach: every open link, plus the addresses some register lists but this
    /// process has no link to, and gateways whose link broke without a goodbye within the missing-gateway window
    /// (those are reported as missing, never silently skipped).
    /// </summary>
    public (GatewayLink[] Links, List<string> Unreachable) Targets()
    {
        GatewayLink[] links = Links;
        if (Array.Exists(links, l => l.LeftGracefully))
        {
            links = Array.FindAll(links, l => !l.LeftGracefully); // leaving on purpose: its clients are being closed
        }

        var unreachable = new List<string>();
        long now = Environment.TickCount64;
        lock (_gate)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            ForgetExpired(_leftUntil, now);
            ForgetExpired(_lostUntil, now); // a gateway long gone is forgotten
            foreach (string address in _leftUntil.Keys)
            {
                seen.Add(address); // a register may list it until it has noticed: not missing
            }

            foreach (string address in _lostUntil.Keys)
            {
                if (seen.Add(address))
                {
                    unreachable.Add(address);
                }
            }

            foreach (IReadOnlyList<GatewayInfo> list in CurrentLists())
            {
                foreach (GatewayInfo gateway in list)
                {
                    if (!seen.Add(gateway.Address))
                    {
                        continue;
                    }

                    string? key = IPEndPoint.TryParse(gateway.Address, out IPEndPoint? ep) ? ClientId.GatewayKey(ep) : null;
                    if (key is not null && !_links.ContainsKey(key))
                    {
                        unreachable.Add(gateway.Address);
                    }
                }
            }
        }

        return (links, unreachable);
    }

    /// <summary>What this node tells the registers about itself every StatusInterval (workers set it; API clients do not report).</summary>
    public Func<StatusReportFrame>? Report { get; set; }

    /// <summary>Client events received over all gateway links since start.</summary>
    public long EventsReceived => Volatile.Read(ref _eventsOfClosedLinks) + Links.Sum(l => l.EventsReceived);

    private long _eventsOfClosedLinks;

    /// <summary>Raised after a gateway link opens or closes.</summary>
    public event Action? LinksChanged;

    public async Task RunAsync(CancellationToken stopping)
    {
        _stopping = stopping;
        var connector = new RegisterConnector(_sockets, _options, _logger, _role, NodeId,
            (_, link) => link.TrySend(new SubscribeFrame()), this, Report);
        await connector.RunAsync(stopping).ConfigureAwait(false);
        Task[] loops;
        lock (_gate)
        {
            loops = [.. _loops];
        }

        await Task.WhenAll(loops).ConfigureAwait(false);
    }

    /// <summary>Finds the link of a client's gateway. Throws <see cref="ArgumentException"/> for a malformed id and <see cref="GatewayUnavailableException"/> for an unknown gateway.</summary>
    public GatewayLink Resolve(string clientId, out ulong connectionId)
    {
        if (!ClientId.TryParse(clientId, out ReadOnlySpan<char> key, out connectionId))
        {
            throw new ArgumentException($"'{clientId}' is not a client id.", nameof(clientId));
        }

        if (_linksBySpan.TryGetValue(key, out GatewayLink? link))
        {
            return link;
        }

        ClientId.TryGetGateway(clientId, out IPEndPoint? gateway);
        throw new GatewayUnavailableException($"Client {clientId} belongs to gateway {gateway}, which is not connected.");
    }

    /// <summary>Like <see cref="Resolve"/> but returns null instead of throwing for an unknown gateway or malformed id.</summary>
    public GatewayLink? TryResolve(string clientId, out ulong connectionId)
    {
        if (!ClientId.TryParse(clientId, out ReadOnlySpan<char> key, out connectionId))
        {
            return null;
        }

        return _linksBySpan.TryGetValue(key, out GatewayLink? link) ? link : null;
    }

    void IFrameHandler.OnFrame(InternalConnection connection, ref FieldReader frame)
    {
        if (frame.Kind != MessageKind.GatewayList)
        {
            ThrowHelper.Protocol($"unexpected {frame.Kind} from a register");
        }

        IReadOnlyList<GatewayInfo> list = Frame.Read<GatewayListFrame>(ref frame).Gateways;
        string register = connection.RemoteEndPoint?.ToString() ?? "?";
        lock (_gate)
        {
            _listsByRegister[register] = list;
            if (_registerLinks.TryGetValue(register, out InternalConnection? known) != true || known != connection)
            {
                // From now on this register's list is current; once its link is gone, the list is only a last resort.
                _registerLinks[register] = connection;
                connection.Closing.Register(() =>
                {
                    lock (_gate)
                    {
                        if (_registerLinks.TryGetValue(register, out InternalConnection? current) && current == connection)
                        {
                            _registerLinks.Remove(register);
                        }
                    }
                });
            }

            foreach (GatewayInfo gateway in list)
            {
                if (_running.Add(gateway.Address))
                {
                    StartLoop(gateway.Address);
                }
            }
        }
    }

    /// <summary>Removes the entries whose time has passed (an entry renewed meanwhile stays).</summary>
    private static void ForgetExpired(ConcurrentDictionary<string, long> untils, long now)
    {
        foreach ((string address, long until) in untils)
        {
            if (until <= now)
            {
                untils.TryRemove(new KeyValuePair<string, long>(address, until));
            }
        }
    }

    /// <summary>Runs the loop of one listed gateway; it leaves the set of loops when it ends (the gateway is no longer listed).</summary>
    private void StartLoop(string address)
    {
        Task loop = Task.Run(() => GatewayLoopAsync(address));
        _loops.Add(loop);
        _ = loop.ContinueWith(static (done, state) =>
        {
            var directory = (GatewayDirectory)state!;
            lock (directory._gate)
            {
                directory._loops.Remove(done);
            }
        }, this, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>Gateway loops running and gateways remembered as lost (for tests: neither grows with gateway churn).</summary>
    internal (int Loops, int Lost) Tracked
    {
        get
        {
            lock (_gate)
            {
                return (_loops.Count, _lostUntil.Count + _leftUntil.Count);
            }
        }
    }

    /// <summary>
    /// The gateway lists that count (under <c>_gate</c>): those of the registers linked now. A register that is gone may
    /// have listed a gateway that died after it (nobody told it), so its last list counts only while none is linked.
    /// </summary>
    private IEnumerable<IReadOnlyList<GatewayInfo>> CurrentLists()
    {
        bool anyLinked = _registerLinks.Count > 0;
        foreach ((string register, IReadOnlyList<GatewayInfo> list) in _listsByRegister)
        {
            if (!anyLinked || _registerLinks.ContainsKey(register))
            {
                yield return list;
            }
        }
    }

    private bool IsListed(string address)
    {
        lock (_gate)
        {
            foreach (IReadOnlyList<GatewayInfo> list in CurrentLists())
            {
                if (list.Any(g => g.Address == address))
                {
                    return true;
                }
            }

            _running.Remove(address);
            return false;
        }
    }

    private Task GatewayLoopAsync(string address) =>
        OutboundLink.RunAsync(_sockets, _options, _logger, address, "gateway", _role, NodeId, () => IsListed(address), async (connection, endpoint) =>
        {
            var link = new GatewayLink(connection, endpoint, ClientId.GatewayKey(endpoint), _scheduler);
            _lostUntil.TryRemove(address, out _);
            _leftUntil.TryRemove(address, out _);
            Add(link);
            try
            {
                await connection.RunAsync(link, _stopping).ConfigureAwait(false);
            }
            finally
            {
                if (link.LeftGracefully)
                {
                    _leftUntil[address] = Environment.TickCount64 + (long)_missingWindow.TotalMilliseconds;
                }
                else if (!_stopping.IsCancellationRequested)
                {
                    // Crashed or cut off: its clients may still be connected to it, so queries report it as
                    // missing for a while instead of silently answering without it.
                    long now = Environment.TickCount64;
                    _lostUntil[address] = now + (long)_missingWindow.TotalMilliseconds;
                    ForgetExpired(_lostUntil, now); // also when no query runs
                }

                Remove(link);
                Interlocked.Add(ref _eventsOfClosedLinks, link.EventsReceived);
                link.Close();
            }
        }, _stopping, _tags);

    /// <summary>Adds a link made elsewhere (tests drive the API over in-memory links this way).</summary>
    internal void Attach(GatewayLink link) => Add(link);

    private void Add(GatewayLink link)
    {
        lock (_gate)
        {
            _links[link.Key] = link;
            _snapshot = [.. _links.Values];
        }

        LinksChanged?.Invoke();
    }

    private void Remove(GatewayLink link)
    {
        lock (_gate)
        {
            if (_links.TryGetValue(link.Key, out GatewayLink? current) && current == link)
            {
                _links.TryRemove(link.Key, out _);
            }

            _snapshot = [.. _links.Values];
        }

        LinksChanged?.Invoke();
    }
}
