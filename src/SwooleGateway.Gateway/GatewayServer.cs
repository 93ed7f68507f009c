using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SwooleGateway.Gateway.Clients;
using SwooleGateway.Gateway.Commands;
using SwooleGateway.Gateway.Routing;
using SwooleGateway.Hosting;
using SwooleGateway.Options;
using SwooleGateway.Protocol;
using SwooleGateway.Protocol.Messages;
using SwooleGateway.Transport;

namespace SwooleGateway.Gateway;

/// <summary>
/// The gateway as a hosted service: binds the internal port and the client listeners, and wires the parts that do the
/// work: <see cref="ClientAcceptor"/> (accepting and protecting clients), <see cref="ClientReader"/> (the read loops),
/// <see cref="EventRouter"/> (events to workers), <see cref="CommandExecutor"/> (the workers' commands),
/// <see cref="ClientStore"/> (client, uid, group and session tables), <see cref="ClientSender"/> (messages to clients)
/// and <see cref="ClientSupervisor"/> (idle clients and pings). Announces itself to every register and re-announces
/// after a register restart.
/// </summary>
internal sealed partial class GatewayServer : BackgroundService
{
    public const string Role = "gateway";

    private readonly SwooleGatewayOptions _options;
    private readonly GatewayOptions _gatewayOptions;
    private readonly SocketTransport _sockets;
    private readonly ILogger<GatewayServer> _logger;
    private readonly IReadOnlyDictionary<string, Func<Framing.IClientFramer>> _framers;
    private readonly ClientAuthorizer? _authorizer;
    private readonly LiveGatewayOptions _live;
    private readonly ClientStore _store = new();
    private readonly EventRouter _router;
    private readonly GatewayMetrics _metrics;
    private readonly bool _customRouter; // an IEventRouter from DI: configuration changes only its listener tags
    private readonly CommandExecutor _commands;
    private readonly List<ClientListener> _listeners = [];
    private readonly List<IConnectionListener> _clientListeners = []; // unbound first on a graceful stop
    private readonly ConcurrentDictionary<WorkerLink, byte> _links = new();
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ConcurrentDictionary<string, IPEndPoint> _listenerEndPoints = new();
    private readonly List<GatewayListenerEndPoint> _boundListeners = []; // under lock(_boundListeners)
    private readonly string _gatewayId = $"gateway-{Environment.MachineName}-{Environment.ProcessId}-{Random.Shared.Next(0x10000):x4}";
    private IPEndPoint? _advertised;
    private IPEndPoint? _internalEndPoint;

    public GatewayServer(IOptions<SwooleGatewayOptions> options, IOptions<GatewayOptions> gatewayOptions, SocketTransport sockets, ILogger<GatewayServer> logger,
        IOptions<GatewayCommandOptions>? commands = null, IOptions<GatewayFramerOptions>? framers = null, IOptionsMonitor<GatewayOptions>? live = null,
        IOptions<GatewayAuthorizationOptions>? authorization = null, IEventRouter? eventRouter = null, System.Diagnostics.Metrics.IMeterFactory? meterFactory = null)
    {
        _metrics = new GatewayMetrics(meterFactory);
        _options = options.Value;
        _gatewayOptions = gatewayOptions.Value;
        _sockets = sockets;
        _logger = logger;
        _authorizer = authorization?.Value.Authorizer;
        _framers = framers?.Value.Framers ?? new Dictionary<string, Func<Framing.IClientFramer>>();
        _live = new LiveGatewayOptions(_gatewayOptions, live);
        _router = new EventRouter(_gatewayOptions, _store, eventRouter ?? CreateRouter(_gatewayOptions.Routing), _metrics, logger);
        _customRouter = eventRouter is not null;
        _live.Changed += RoutingMayHaveChanged;
        var sender = new ClientSender(_metrics, logger);
        _commands = new CommandExecutor(new CommandServices(_store, sender, commands?.Value.Handlers ?? new Dictionary<string, GatewayCommandHandler>(),
            callerId => new GatewayCommandContext(callerId, _gatewayId, _store.Count, _router.WorkerCount), logger, _router.Reconsider));
        _metrics.Observe(() => _store.Count, () => _router.WorkerCount, () => _router.Unacknowledged, () => _router.Held);
    }

    /// <summary>The router <c>SwooleGateway:Gateway:Routing</c> configures (throws, saying what to write, for a bad key).</summary>
    private static IEventRouter CreateRouter(RoutingOptions routing) => routing.Strategy switch
    {
        RoutingStrategy.ConsistentHash => ConsistentHashRouter.Create(routing.Key),
        _ => new RoundRobinRouter(),
    };

    /// <summary>SwooleGateway:Gateway:Routing changed in the configuration: the new routing applies without a restart.</summary>
    private void RoutingMayHaveChanged(GatewayOptions previous, GatewayOptions current)
    {
        RoutingOptions before = previous.Routing;
        RoutingOptions after = current.Routing;
        bool sameTags = before.ListenerTags.Count == after.ListenerTags.Count
            && before.ListenerTags.All(t => after.ListenerTags.TryGetValue(t.Key, out string? v) && v == t.Value);
        _router.RebalanceOnJoin = after.RebalanceOnJoin; // for workers that join from now on; moves nobody by itself
        if (before.Strategy == after.Strategy && string.Equals(before.Key, after.Key, StringComparison.Ordinal) && sameTags)
        {
            return;
        }

        IEventRouter router;
        try
        {
            router = _customRouter ? _router.Policy : CreateRouter(after);
        }
        catch (InvalidOperationException ex)
        {
            Log.RoutingChangeRefused(_logger, ex.Message);
            return;
        }

        int moving = _router.Reconfigure(router, new Dictionary<string, string>(after.ListenerTags, StringComparer.OrdinalIgnoreCase));
        Log.RoutingChanged(_logger, _customRouter ? router.GetType().Name : after.Strategy.ToString(), after.Key,
            string.Join(", ", after.ListenerTags.Select(t => $"{t.Key}→{t.Value}")), moving);
    }

    /// <summary>Completes when every listener is bound (faults when binding failed).</summary>
    public Task Ready => _ready.Task;

    public string GatewayId => _gatewayId;

    /// <summary>The bound internal endpoint (valid after <see cref="Ready"/>).</summary>
    public IPEndPoint InternalEndPoint => _internalEndPoint ?? throw new InvalidOperationException("Gateway not started.");

    /// <summary>The address in this gateway's client ids and announcements (valid after <see cref="Ready"/>).</summary>
    public IPEndPoint AdvertisedEndPoint => _advertised ?? throw new InvalidOperationException("Gateway not started.");

    /// <summary>Bound client listener endpoints by listener name (valid after <see cref="Ready"/>).</summary>
    public IReadOnlyDictionary<string, IPEndPoint> ListenerEndPoints => _listenerEndPoints;

    /// <summary>The client listeners as bound, in configuration order.</summary>
    public IReadOnlyList<GatewayListenerEndPoint> BoundListeners
    {
        get
        {
            lock (_boundListeners)
            {
                return [.. _boundListeners];
            }
        }
    }

    public int ClientCount => _store.Count;

    public int WorkerCount => _router.WorkerCount;

    /// <summary>Routing:RebalanceOnJoin as it applies now.</summary>
    internal bool RebalanceOnJoin => _router.RebalanceOnJoin;

    /// <summary>Client events held for a worker now (for tests and diagnostics).</summary>
    internal int HeldEvents => _router.Held;

    /// <summary>Events sent to workers and not acknowledged yet.</summary>
    internal int Unacknowledged => _router.Unacknowledged;

    /// <summary>Aborts the links of the worker or client named <paramref name="nodeId"/>, without a drain, as a crash or network cut would (for tests).</summary>
    internal int AbortWorkerLinks(string nodeId, string reason)
    {
        int aborted = 0;
        foreach (WorkerLink link in _links.Keys)
        {
            if (link.Connection.PeerId == nodeId)
            {
                link.Connection.Abort(reason);
                aborted++;
            }
        }

        return aborted;
    }

    /// <summary>The ops this gateway executes (for tests).</summary>
    internal IReadOnlyDictionary<uint, string> Operations => _commands.Operations;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var loops = new List<Task>();
        try
        {
            IReadOnlyList<ListenerOptions> listenerOptions = _gatewayOptions.EffectiveListeners;
            _options.Validate([_gatewayOptions.Internal, .. listenerOptions.Select(l => l.Endpoint)]);

            IConnectionListener internalListener = await _sockets.BindAsync(EndpointParser.ParseListen(_gatewayOptions.Internal), stoppingToken).ConfigureAwait(false);
            _internalEndPoint = (IPEndPoint)internalListener.EndPoint;
            _advertised = await ResolveAdvertisedAsync(_internalEndPoint, stoppingToken).ConfigureAwait(false);
            loops.Add(new AcceptLoop(internalListener, HandleInternalAsync, _logger, _metrics.AcceptErrors).RunAsync(stoppingToken));
            Log.InternalListening(_logger, _gatewayId, _internalEndPoint.ToString(), _advertised.ToString());

            var acceptor = new ClientAcceptor(_gatewayOptions, _live, _store, _advertised, _authorizer, _logger, _metrics) { DescriptorBudget = ClientLimit() };
            var reader = new ClientReader(acceptor, _store, new ClientThrottle(_store, _live, _metrics, _logger), _router, _metrics, _logger);
            foreach (ListenerOptions lo in listenerOptions)
            {
                ClientListener listener = lo.Protocol switch
                {
                    ListenerProtocol.WebSocket => new WebSocketListener(lo, _gatewayOptions),
                    ListenerProtocol.Tcp => CreateTcpListener(lo),
                    _ => throw new InvalidOperationException($"Listener {lo.DisplayName}: unknown protocol {lo.Protocol}."),
                };
                _listeners.Add(listener);
                if (listener.Certificates is { } certificates)
                {
                    string name = listener.Name;
                    certificates.Reloaded = c => Log.CertificateReloaded(_logger, name, c.Subject, c.Thumbprint);
                    certificates.ReloadFailed = ex => Log.CertificateReloadFailed(_logger, name, ex.Message);
                }

                IConnectionListener bound = _sockets.BindClients(EndpointParser.ParseListen(lo.Endpoint));
                lock (_clientListeners)
                {
                    _clientListeners.Add(bound);
                }

                var endpoint = (IPEndPoint)bound.EndPoint;
                if (!_listenerEndPoints.TryAdd(listener.Name, endpoint))
                {
                    throw new InvalidOperationException($"Two listeners are named '{listener.Name}'; give each a unique Name.");
                }

                lock (_boundListeners)
                {
                    _boundListeners.Add(new GatewayListenerEndPoint(listener.Name, listener.Transport, endpoint));
                }

                Log.ClientListening(_logger, listener.Name, listener.Certificates is null ? listener.Transport : listener.Transport + "+tls", endpoint.ToString());
                loops.Add(AcceptLoop.Owning(bound, (t, done) => _ = reader.RunAsync(t, listener, done), _logger, _metrics.AcceptErrors, acceptor.WaitForRoomAsync).RunAsync(stoppingToken));
            }

            var connector = new RegisterConnector(_sockets, _options, _logger, Role, _gatewayId,
                (_, link) => link.TrySend(new AnnounceFrame(_advertised.ToString(), _gatewayId)), RegisterFrames.Instance, StatusReport);
            loops.Add(connector.RunAsync(stoppingToken));
            loops.Add(new ClientSupervisor(_store, _listeners, _live, _metrics, _logger).RunAsync(stoppingToken));
            loops.Add(new MemoryTrimmer(new ChurnSource(() => _store.Churn, () => _store.Count, () => _live.Current.TrimMemoryAfterChurn),
                () => _metrics.MemoryTrims.Add(1), _logger, GatewayOptions.SectionName).RunAsync(stoppingToken));
            loops.Add(ExpireHeldEventsAsync(stoppingToken));
            _ready.TrySetResult();
        }
        catch (Exception ex)
        {
            _ready.TrySetException(ex);
            throw;
        }

        using (stoppingToken.Register(CloseAllClients))
        {
            await Task.WhenAll(loops).ConfigureAwait(false);
        }
    }

    private TcpFramedListener CreateTcpListener(ListenerOptions lo)
    {
        switch (lo.Framing)
        {
            case TcpFraming.Delimiter:
                byte[] delimiter = lo.DelimiterBytes();
                return new TcpFramedListener(lo, _gatewayOptions, () => new Framing.DelimiterFramer(delimiter), statelessFramer: true);
            case TcpFraming.LengthPrefixed:
                var prefix = new Framing.LengthPrefixFramer(lo.LengthSize, lo.LengthBigEndian, lo.LengthIncludesHeader);
                return new TcpFramedListener(lo, _gatewayOptions, () => prefix, statelessFramer: true);
            case TcpFraming.Raw:
                return new TcpFramedListener(lo, _gatewayOptions, static () => new Framing.RawFramer(), statelessFramer: true);
            case TcpFraming.Custom when lo.Framer is not null && _framers.TryGetValue(lo.Framer, out Func<Framing.IClientFramer>? factory):
                return new TcpFramedListener(lo, _gatewayOptions, factory, statelessFramer: false);
            default:
                throw new InvalidOperationException(
                    $"Listener {lo.DisplayName}: Framing {lo.Framing} needs Framer set to a name registered with AddSwooleGatewayFramer (got '{lo.Framer}').");
        }
    }

    /// <summary>What this gateway tells the registers about itself every StatusInterval (the cluster view).</summary>
    private StatusReportFrame StatusReport() => new(Role, _gatewayId, NodeIdentity.Version, NodeIdentity.Framework, NodeIdentity.StartedMs,
        _advertised?.ToString() ?? "", [], new Dictionary<string, ulong>(StringComparer.Ordinal)
        {
            ["connections"] = (ulong)_store.Count,
            ["workers"] = (ulong)_router.WorkerCount,
            ["uids"] = (ulong)_store.UidCount,
            ["groups"] = (ulong)_store.GroupsTotal,
            ["events_total"] = (ulong)_router.EventsRouted,
            ["events_unacknowledged"] = (ulong)Math.Max(0, _router.Unacknowledged),
            ["events_held"] = (ulong)Math.Max(0, _router.Held),
            ["slow_clients_total"] = (ulong)Interlocked.Read(ref _metrics.SlowClientsTotal),
        });

    /// <summary>Every second: events held for a worker longer than HoldEventsFor leave memory, even if no worker ever connects.</summary>
    private async Task ExpireHeldEventsAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                if (_router.Held > 0)
                {
                    _router.ExpireHeld();
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>
    /// The clients the process's file descriptor limit leaves room for (int.MaxValue when it cannot be read): the gateway
    /// admits at most this many even if MaxConnections says more, and clients beyond it wait in the listen backlog
    /// (<see cref="ClientAcceptor.WaitForRoomAsync"/>) instead of exhausting the descriptors the links and the runtime need.
    /// </summary>
    private int ClientLimit()
    {
        (long Limit, int Open)? descriptors = FileDescriptors.Read();
        if (FileDescriptors.ClientBudget(descriptors) is not { } budget)
        {
            return int.MaxValue;
        }

        if (budget < _gatewayOptions.MaxConnections)
        {
            Log.ClientLimitLowered(_logger, _gatewayOptions.MaxConnections, descriptors!.Value.Limit, descriptors.Value.Open, budget);
        }

        return budget;
    }

    private async Task<IPEndPoint> ResolveAdvertisedAsync(IPEndPoint bound, CancellationToken cancellationToken)
    {
        if (!string.IsNullOrWhiteSpace(_gatewayOptions.AdvertiseAddress))
        {
            IPEndPoint configured = await EndpointParser.ResolveAsync(_gatewayOptions.AdvertiseAddress, cancellationToken).ConfigureAwait(false);
            return configured.Port == 0 ? new IPEndPoint(configured.Address, bound.Port) : configured;
        }

        if (bound.Address.Equals(IPAddress.Any) || bound.Address.Equals(IPAddress.IPv6Any))
        {
            throw new InvalidOperationException(
                $"The gateway's internal listener binds all interfaces ({bound}); set SwooleGateway:Gateway:AdvertiseAddress to the address workers should use.");
        }

        return bound;
    }

    /// <summary>
    /// A graceful stop: first every worker and API client hears that this gateway is leaving (so their queries stop
    /// counting it at once, instead of reporting it missing), and only then the links and clients close. The goodbye must
    /// go before the stopping token fires: the links' own callbacks on that token close them.
    /// </summary>
    /// <summary>
    /// A graceful stop: says it is leaving (workers and registers stop counting it), stops accepting and reading from
    /// clients, waits up to ShutdownGracePeriod for what its clients sent to be handled, then closes them (1001).
    /// </summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        SayLeaving();
        IConnectionListener[] listeners;
        lock (_clientListeners)
        {
            listeners = [.. _clientListeners];
        }

        foreach (IConnectionListener listener in listeners)
        {
            await listener.UnbindAsync(CancellationToken.None).ConfigureAwait(false); // its accept loop ends; clients stay
        }

        _router.PauseReads();
        await SettleAsync(cancellationToken).ConfigureAwait(false);
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Waits, at most ShutdownGracePeriod (or until the host's stop deadline), until no client event is in flight or held.</summary>
    private async Task SettleAsync(CancellationToken cancellationToken)
    {
        TimeSpan grace = _gatewayOptions.ShutdownGracePeriod;
        int inFlight = _router.Unacknowledged + _router.Held;
        Log.Stopping(_logger, _gatewayId, _store.Count, inFlight, grace.TotalSeconds);
        if (grace <= TimeSpan.Zero || inFlight == 0 || _store.Count == 0)
        {
            return;
        }

        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(20));
        try
        {
            while (clock.Elapsed < grace && _router.Unacknowledged + _router.Held > 0 && await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
            }
        }
        catch (OperationCanceledException)
        {
        }

        int left = _router.Unacknowledged + _router.Held;
        if (left > 0)
        {
            Log.StoppingWithEventsInFlight(_logger, left, clock.Elapsed.TotalSeconds);
        }
    }

    private int _saidLeaving;

    private void SayLeaving()
    {
        if (Interlocked.Exchange(ref _saidLeaving, 1) != 0)
        {
            return;
        }

        foreach (WorkerLink link in _links.Keys)
        {
            link.Connection.TrySend(new GatewayLeavingFrame()); // flushed at once
        }
    }

    private void CloseAllClients()
    {
        SayLeaving();
        foreach (KeyValuePair<ulong, ClientConnection> entry in _store.Connections)
        {
            entry.Value.RequestClose(force: false, "gateway shutting down", 1001);
        }
    }

    /// <summary>The internal port: workers and API clients, for the life of their link.</summary>
    private async Task HandleInternalAsync(ConnectionContext transport, CancellationToken stopping)
    {
        InternalConnection? connection = await InternalConnection.AcceptAsync(
            transport, Role, _gatewayId, static role => role is "worker" or "client", _options, _logger, stopping).ConfigureAwait(false);
        if (connection is null)
        {
            return;
        }

        var link = new WorkerLink(connection, receivesEvents: connection.PeerRole == "worker",
            _gatewayOptions.MaxUnackedEventsPerWorker, _gatewayOptions.MaxUnackedBytesPerWorker, _gatewayOptions.MaxUnackedEventsPerClient);
        _links[link] = 0;
        if (link.ReceivesEvents)
        {
            _router.WorkerConnected(link);
        }

        Log.WorkerConnected(_logger, connection.PeerRole, connection.PeerId, connection.RemoteEndPoint?.ToString() ?? "?", _router.WorkerCount);
        try
        {
            await connection.RunAsync(new WorkerLinkReader(link, _commands, _router), stopping).ConfigureAwait(false);
        }
        finally
        {
            _links.TryRemove(link, out _);
            _router.WorkerDisconnected(link);
            Log.WorkerDisconnected(_logger, connection.PeerRole, connection.PeerId, connection.CloseReason, link.EventsSent, _router.WorkerCount);
        }
    }

    /// <summary>Register links carry nothing the gateway acts on after its announcement.</summary>
    private sealed class RegisterFrames : IFrameHandler
    {
        public static readonly RegisterFrames Instance = new();

        public void OnFrame(InternalConnection connection, ref FieldReader frame) => frame.SkipRest();
    }

    private static partial class Log
    {
        [LoggerMessage(3021, LogLevel.Warning, "MaxConnections is {Configured}, but this process may open only {Limit} files (ulimit -n; {Open} open now): accepting at most {Clients} clients, keeping the rest for worker links and the runtime. Raise the limit (ulimit -n, systemd LimitNOFILE=) to accept more", EventName = "ClientLimitLowered")]
        public static partial void ClientLimitLowered(ILogger logger, int configured, long limit, int open, int clients);

        [LoggerMessage(3001, LogLevel.Information, "Gateway {GatewayId} internal listener on {EndPoint}, advertised as {Advertised}", EventName = "GatewayInternalListening")]
        public static partial void InternalListening(ILogger logger, string gatewayId, string endPoint, string advertised);

        [LoggerMessage(3002, LogLevel.Information, "Listener {Name} ({Transport}) on {EndPoint}", EventName = "ClientListenerListening")]
        public static partial void ClientListening(ILogger logger, string name, string transport, string endPoint);

        [LoggerMessage(3003, LogLevel.Information, "{Role} {NodeId} connected from {Remote} ({Workers} workers)", EventName = "WorkerConnected")]
        public static partial void WorkerConnected(ILogger logger, string role, string nodeId, string remote, int workers);

        [LoggerMessage(3004, LogLevel.Information, "{Role} {NodeId} disconnected: {Reason} ({Events} events sent to it; {Workers} workers left)", EventName = "WorkerDisconnected")]
        public static partial void WorkerDisconnected(ILogger logger, string role, string nodeId, string reason, ulong events, int workers);

        [LoggerMessage(3026, LogLevel.Information, "Gateway {GatewayId} stopping: told workers and registers it is leaving, stopped accepting and reading from its {Clients} clients; waiting for {InFlight} events in flight (at most ShutdownGracePeriod, {Grace} s), then closing them (1001, going away)", EventName = "GatewayStopping")]
        public static partial void Stopping(ILogger logger, string gatewayId, int clients, int inFlight, double grace);

        [LoggerMessage(3027, LogLevel.Warning, "Closing clients with {Events} of their events still unhandled after {Seconds:0.0} s (ShutdownGracePeriod): their answers will not reach them", EventName = "GatewayStoppingWithEventsInFlight")]
        public static partial void StoppingWithEventsInFlight(ILogger logger, int events, double seconds);

        [LoggerMessage(3028, LogLevel.Information, "Routing changed: {Strategy}, key {Key}, listener tags [{Tags}]; {Moving} clients move to the workers it places them on, each after its events in flight", EventName = "RoutingChanged")]
        public static partial void RoutingChanged(ILogger logger, string strategy, string key, string tags, int moving);

        [LoggerMessage(3029, LogLevel.Error, "The changed routing configuration is not valid, keeping the current routing: {Reason}", EventName = "RoutingChangeRefused")]
        public static partial void RoutingChangeRefused(ILogger logger, string reason);

        [LoggerMessage(3015, LogLevel.Information, "Listener {Name}: TLS certificate reloaded ({Subject}, {Thumbprint})", EventName = "CertificateReloaded")]
        public static partial void CertificateReloaded(ILogger logger, string name, string subject, string thumbprint);

        [LoggerMessage(3016, LogLevel.Error, "Listener {Name}: the changed TLS certificate could not be loaded, keeping the previous one: {Reason}", EventName = "CertificateReloadFailed")]
        public static partial void CertificateReloadFailed(ILogger logger, string name, string reason);
    }
}
