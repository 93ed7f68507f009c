using System.Collections.Concurrent;
using System.Net;
using MessagePack;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SwooleGateway.Gateway.Clients;
using SwooleGateway.Hosting;
using SwooleGateway.Options;
using SwooleGateway.Protocol;
using SwooleGateway.Transport;

namespace SwooleGateway.Gateway;

/// <summary>
/// The gateway: owns client connections (WebSocket and TCP listeners), keeps the connection, uid, group
/// and session tables, forwards client events to workers and executes the commands workers send.
/// Announces itself to every register and re-announces after a register restart.
/// </summary>
public sealed partial class GatewayServer : BackgroundService, IFrameHandler, IClientMessageSink
{
    public const string Role = "gateway";

    private readonly SwooleGatewayOptions _options;
    private readonly GatewayOptions _gatewayOptions;
    private readonly SocketTransport _sockets;
    private readonly ILogger<GatewayServer> _logger;
    private readonly IReadOnlyDictionary<string, GatewayCommandHandler> _commands;
    private readonly IReadOnlyDictionary<string, Func<Framing.IClientFramer>> _framers;
    private readonly ClientStore _store = new();
    private readonly IpTable _ips = new();
    private readonly List<ClientListener> _listeners = [];
    private volatile GatewayOptions _live;
    private readonly ClientAuthorizer? _authorizer;
    private readonly WorkerPool _workers = new();
    private readonly ConcurrentDictionary<WorkerLink, byte> _links = new();
    private readonly Queue<(long At, byte[] Frame)> _held = new(); // events that arrived while no worker was connected; lock(_held)
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ConcurrentDictionary<string, IPEndPoint> _listenerEndPoints = new();
    private readonly string _gatewayId = $"gateway-{Environment.MachineName}-{Environment.ProcessId}-{Random.Shared.Next(0x10000):x4}";
    private ulong _nextConnectionId = (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() << 16;
    private IPEndPoint? _advertised;
    private IPEndPoint? _internalEndPoint;
    private int _noWorkerWarned;

    public GatewayServer(IOptions<SwooleGatewayOptions> options, IOptions<GatewayOptions> gatewayOptions, SocketTransport sockets, ILogger<GatewayServer> logger,
        IOptions<GatewayCommandOptions>? commands = null, IOptions<GatewayFramerOptions>? framers = null, IOptionsMonitor<GatewayOptions>? live = null,
        IOptions<GatewayAuthorizationOptions>? authorization = null)
    {
        _authorizer = authorization?.Value.Authorizer;
        _live = live?.CurrentValue ?? gatewayOptions.Value;
        live?.OnChange(value => _live = value); // read per message: a field, not an options lookup
        _framers = framers?.Value.Framers ?? new Dictionary<string, Func<Framing.IClientFramer>>();
        _commands = commands?.Value.Handlers ?? new Dictionary<string, GatewayCommandHandler>();
        _options = options.Value;
        _gatewayOptions = gatewayOptions.Value;
        _sockets = sockets;
        _logger = logger;
        GatewayMetrics.ObserveConnections(() => _store.Count, () => _workers.Count);
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

    public int ClientCount => _store.Count;

    public int WorkerCount => _workers.Count;

    /// <summary>Settings that may change while running (throttle, per-IP limit): the live value when configuration reloads.</summary>
    private GatewayOptions Live => _live;

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
            loops.Add(new AcceptLoop(internalListener, HandleInternalAsync, _logger).RunAsync(stoppingToken));
            Log.InternalListening(_logger, _gatewayId, _internalEndPoint.ToString(), _advertised.ToString());

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
                var endpoint = (IPEndPoint)bound.EndPoint;
                if (!_listenerEndPoints.TryAdd(listener.Name, endpoint))
                {
                    throw new InvalidOperationException($"Two listeners are named '{listener.Name}'; give each a unique Name.");
                }

                Log.ClientListening(_logger, listener.Name, listener.Certificates is null ? listener.Transport : listener.Transport + "+tls", endpoint.ToString());
                loops.Add(new AcceptLoop(bound, (t, ct) => HandleClientAsync(t, listener), _logger).RunAsync(stoppingToken));
            }

            var connector = new RegisterConnector(_sockets, _options, _logger, Role, _gatewayId,
                (_, link) => link.TrySend(RegisterProtocol.WriteAnnounce(_advertised.ToString(), _gatewayId)), RegisterFrames.Instance);
            loops.Add(connector.RunAsync(stoppingToken));
            loops.Add(SuperviseAsync(stoppingToken));
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

    private void CloseAllClients()
    {
        foreach (WorkerLink link in _links.Keys)
        {
            link.Connection.TrySendKind(MessageKind.GatewayLeaving);
        }

        foreach (KeyValuePair<ulong, ClientConnection> entry in _store.Connections)
        {
            entry.Value.RequestClose(force: false, "gateway shutting down", 1001);
        }
    }

    // ---- internal port: workers and API clients ----

    private async Task HandleInternalAsync(ConnectionContext transport, CancellationToken stopping)
    {
        InternalConnection? connection = await InternalConnection.AcceptAsync(
            transport, Role, _gatewayId, static role => role is "worker" or "client", _options, _logger, stopping).ConfigureAwait(false);
        if (connection is null)
        {
            return;
        }

        var link = new WorkerLink(connection, receivesEvents: connection.PeerRole == "worker");
        connection.Tag = link;
        _links[link] = 0;
        if (link.ReceivesEvents)
        {
            AddWorker(link);
        }

        Log.WorkerConnected(_logger, connection.PeerRole, connection.PeerId, connection.RemoteEndPoint?.ToString() ?? "?", _workers.Count);
        try
        {
            await connection.RunAsync(this, stopping).ConfigureAwait(false);
        }
        finally
        {
            _links.TryRemove(link, out _);
            _workers.Remove(link);
            HandOver(link);
            Log.WorkerDisconnected(_logger, connection.PeerRole, connection.PeerId, connection.CloseReason, _workers.Count);
        }
    }

    void IFrameHandler.OnBatchEnd(InternalConnection connection)
    {
        if (connection.Tag is WorkerLink link)
        {
            FlushBatch(link);
        }
    }

    void IFrameHandler.OnFrame(InternalConnection connection, MessageKind kind, int fieldCount, ref MessagePackReader reader)
    {
        var link = (WorkerLink)connection.Tag!;
        switch (kind)
        {
            case MessageKind.Command:
                ExecuteCommand(link, fieldCount, ref reader);
                return;
            case MessageKind.WorkerDraining:
                link.MarkDraining();
                connection.TrySendKind(MessageKind.DrainAck); // FIFO link: every event routed before this frame precedes it
                Log.WorkerDraining(_logger, connection.PeerId);
                return;
            default:
                ThrowHelper.Protocol($"unexpected {kind} from a {connection.PeerRole}");
                return;
        }
    }

    /// <summary>Register links carry nothing the gateway acts on after its announcement.</summary>
    private sealed class RegisterFrames : IFrameHandler
    {
        public static readonly RegisterFrames Instance = new();

        public void OnFrame(InternalConnection connection, MessageKind kind, int fieldCount, ref MessagePackReader reader) =>
            RegisterProtocol.SkipRest(ref reader, fieldCount);
    }

    private static partial class Log
    {
        [LoggerMessage(3001, LogLevel.Information, "Gateway {GatewayId} internal listener on {EndPoint}, advertised as {Advertised}", EventName = "GatewayInternalListening")]
        public static partial void InternalListening(ILogger logger, string gatewayId, string endPoint, string advertised);

        [LoggerMessage(3002, LogLevel.Information, "Listener {Name} ({Transport}) on {EndPoint}", EventName = "ClientListenerListening")]
        public static partial void ClientListening(ILogger logger, string name, string transport, string endPoint);

        [LoggerMessage(3003, LogLevel.Information, "{Role} {NodeId} connected from {Remote} ({Workers} workers)", EventName = "WorkerConnected")]
        public static partial void WorkerConnected(ILogger logger, string role, string nodeId, string remote, int workers);

        [LoggerMessage(3004, LogLevel.Information, "{Role} {NodeId} disconnected: {Reason} ({Workers} workers left)", EventName = "WorkerDisconnected")]
        public static partial void WorkerDisconnected(ILogger logger, string role, string nodeId, string reason, int workers);

        [LoggerMessage(3005, LogLevel.Information, "Worker {NodeId} is draining: no new events are sent to it", EventName = "WorkerDraining")]
        public static partial void WorkerDraining(ILogger logger, string nodeId);

        [LoggerMessage(3006, LogLevel.Warning, "No worker is connected: holding client events (at most {Max}, for {Seconds} s) until one connects; beyond that they are dropped and counted", EventName = "NoWorker")]
        public static partial void NoWorker(ILogger logger, int max, double seconds);

        [LoggerMessage(3017, LogLevel.Information, "Replayed {Replayed} held client events to worker {NodeId} ({Expired} were older than HoldEventsFor and dropped)", EventName = "HeldEventsReplayed")]
        public static partial void HeldEventsReplayed(ILogger logger, int replayed, string nodeId, int expired);

        [LoggerMessage(3007, LogLevel.Warning, "Closing client {ClientId} from {Remote} on {Listener}: {Reason}", EventName = "ClientProtocolError")]
        public static partial void ClientError(ILogger logger, string clientId, string remote, string listener, string reason);

        [LoggerMessage(3008, LogLevel.Information, "Refused client from {Remote} on {Listener}: {Reason}", EventName = "ClientRefused")]
        public static partial void ClientRefused(ILogger logger, string remote, string listener, string reason);

        [LoggerMessage(3009, LogLevel.Warning, "Closing slow client {ClientId} from {Remote}: more than {Limit} bytes queued (MaxPendingBytesPerClient)", EventName = "SlowClientClosed")]
        public static partial void SlowClient(ILogger logger, string clientId, string remote, long limit);

        [LoggerMessage(3010, LogLevel.Debug, "Client {ClientId} closed: {Reason}", EventName = "ClientClosed")]
        public static partial void ClientClosed(ILogger logger, string clientId, string reason);

        [LoggerMessage(3011, LogLevel.Warning, "Command {Op} from {NodeId} failed: {Reason}", EventName = "CommandFailed")]
        public static partial void CommandFailed(ILogger logger, string op, string nodeId, string reason);

        [LoggerMessage(3012, LogLevel.Information, "Closing client {ClientId} from {Remote}: {Reason}", EventName = "ClientTimedOut")]
        public static partial void ClientTimedOut(ILogger logger, string clientId, string remote, string reason);

        [LoggerMessage(3013, LogLevel.Warning, "Throttling {Ip}: more than {Tokens} messages per {Interval} ({Action})", EventName = "Throttled")]
        public static partial void Throttled(ILogger logger, string ip, int tokens, TimeSpan interval, ThrottleAction action);

        [LoggerMessage(3015, LogLevel.Information, "Listener {Name}: TLS certificate reloaded ({Subject}, {Thumbprint})", EventName = "CertificateReloaded")]
        public static partial void CertificateReloaded(ILogger logger, string name, string subject, string thumbprint);

        [LoggerMessage(3016, LogLevel.Error, "Listener {Name}: the changed TLS certificate could not be loaded, keeping the previous one: {Reason}", EventName = "CertificateReloadFailed")]
        public static partial void CertificateReloadFailed(ILogger logger, string name, string reason);

        [LoggerMessage(3018, LogLevel.Warning, "A message of {Bytes} bytes to client {ClientId} was skipped: the framing of listener {Listener} cannot carry it (its length prefix is too short); further skips for this client are counted in swoolegateway.gateway.messages_rejected, logged at most every 10 s", EventName = "MessageRejected")]
        public static partial void MessageRejected(ILogger logger, long bytes, string clientId, string listener);

        [LoggerMessage(3014, LogLevel.Warning, "Slow client {ClientId} from {Remote}: outbound queue full ({Limit} bytes), dropping messages ({Policy}) until it catches up", EventName = "SlowClientDropping")]
        public static partial void SlowClientDropping(ILogger logger, string clientId, string remote, long limit, SlowClientPolicy policy);
    }
}
