using System.Diagnostics.Metrics;
using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SwooleGateway.Hosting;
using SwooleGateway.Options;
using SwooleGateway.Protocol;
using SwooleGateway.Protocol.Messages;
using SwooleGateway.Transport;

namespace SwooleGateway.Register;

/// <summary>
/// The register: knows which gateways are alive (each holds a link and announces its address) and
/// pushes the full list to every subscribed worker and client whenever it changes. State is soft:
/// after a restart, gateways reconnect and announce again. Not on the data path.
/// </summary>
public sealed partial class RegisterServer : BackgroundService, IFrameHandler
{
    public const string Role = "register";

    private readonly SwooleGatewayOptions _options;
    private readonly RegisterOptions _registerOptions;
    private readonly SocketTransport _sockets;
    private readonly ILogger<RegisterServer> _logger;
    private readonly Lock _gate = new();
    private readonly Dictionary<InternalConnection, GatewayInfo> _gateways = [];
    private readonly HashSet<InternalConnection> _subscribers = [];
    private readonly TaskCompletionSource<IPEndPoint> _bound = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<IPEndPoint?> _admin = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ClusterView _view = new();
    private readonly System.Diagnostics.Metrics.Counter<long> _announcements;
    private readonly string _nodeId = $"register-{Environment.MachineName}-{Environment.ProcessId}";

    internal RegisterServer(IOptions<SwooleGatewayOptions> options, IOptions<RegisterOptions> registerOptions, SocketTransport sockets, ILogger<RegisterServer> logger,
        System.Diagnostics.Metrics.IMeterFactory? meterFactory = null)
    {
        _options = options.Value;
        _registerOptions = registerOptions.Value;
        _sockets = sockets;
        _logger = logger;
        System.Diagnostics.Metrics.Meter meter = meterFactory?.Create(MeterName) ?? new System.Diagnostics.Metrics.Meter(MeterName);
        _announcements = meter.CreateCounter<long>("swoolegateway.register.announcements", "{announcement}", "Gateway announcements received");
        meter.CreateObservableGauge("swoolegateway.register.members", () => new[]
        {
            new System.Diagnostics.Metrics.Measurement<int>(_view.Count("gateway"), new KeyValuePair<string, object?>("swoolegateway.role", "gateway")),
            new System.Diagnostics.Metrics.Measurement<int>(_view.Count("worker"), new KeyValuePair<string, object?>("swoolegateway.role", "worker")),
            new System.Diagnostics.Metrics.Measurement<int>(_view.Count("client"), new KeyValuePair<string, object?>("swoolegateway.role", "client")),
        }, "{node}", "Gateways, workers and API clients linked to this register, by role (tag swoolegateway.role)");
    }

    /// <summary>The register's meter.</summary>
    public const string MeterName = "SwooleGateway.Register";

    /// <summary>Completes with the admin endpoint's bound address, or null when it is off (SwooleGateway:Register:Admin empty).</summary>
    public Task<IPEndPoint?> AdminEndPoint => _admin.Task;

    /// <summary>Completes with the bound endpoint (the real port when 0 was configured).</summary>
    public Task<IPEndPoint> BoundEndPoint => _bound.Task;

    /// <summary>The gateways currently announced.</summary>
    internal IReadOnlyList<GatewayInfo> Gateways
    {
        get
        {
            lock (_gate)
            {
                return [.. _gateways.Values];
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        IConnectionListener listener;
        try
        {
            _options.Validate(_registerOptions.Listen);
            listener = await _sockets.BindAsync(EndpointParser.ParseListen(_registerOptions.Listen), stoppingToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            _bound.TrySetException(ex);
            throw;
        }

        var endpoint = (IPEndPoint)listener.EndPoint;
        Log.Listening(_logger, endpoint.ToString());
        _bound.TrySetResult(endpoint);
        AdminEndpoint? admin = null;
        try
        {
            if (!string.IsNullOrWhiteSpace(_registerOptions.Admin))
            {
                admin = await AdminEndpoint.StartAsync(_registerOptions.Admin, _registerOptions.AdminToken, _view, _nodeId, () => endpoint.ToString(), _logger, stoppingToken).ConfigureAwait(false);
            }

            _admin.TrySetResult(admin?.EndPoint);
        }
        catch (Exception ex)
        {
            _admin.TrySetException(ex);
            await listener.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        try
        {
            await new AcceptLoop(listener, HandleAsync, _logger).RunAsync(stoppingToken).ConfigureAwait(false);
        }
        finally
        {
            if (admin is not null)
            {
                await admin.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private async Task HandleAsync(ConnectionContext transport, CancellationToken stopping)
    {
        InternalConnection? link = await InternalConnection.AcceptAsync(
            transport, Role, _nodeId, static role => role is "gateway" or "worker" or "client", _options, _logger, stopping).ConfigureAwait(false);
        if (link is null)
        {
            return;
        }

        Log.PeerConnected(_logger, link.PeerRole, link.PeerId, link.RemoteEndPoint?.ToString() ?? "?");
        _view.Connected(link);
        try
        {
            await link.RunAsync(this, stopping).ConfigureAwait(false);
        }
        finally
        {
            bool changed;
            GatewayInfo? gone;
            lock (_gate)
            {
                _subscribers.Remove(link);
                changed = _gateways.Remove(link, out gone);
            }

            _view.Disconnected(link);

            Log.PeerDisconnected(_logger, link.PeerRole, link.PeerId, link.CloseReason);
            if (changed)
            {
                Log.GatewayRemoved(_logger, gone!.GatewayId, gone.Address);
                PublishList();
            }
        }
    }

    void IFrameHandler.OnFrame(InternalConnection connection, ref FieldReader frame)
    {
        switch (frame.Kind)
        {
            case MessageKind.Announce when connection.PeerRole == "gateway":
            {
                (string address, string id) = Frame.Read<AnnounceFrame>(ref frame);
                _ = EndpointParser.Split(address); // validates; throws FormatException otherwise
                var info = new GatewayInfo(id, address);
                lock (_gate)
                {
                    // A restarted gateway may announce the same address before its old link times out: newest wins.
                    foreach ((InternalConnection other, GatewayInfo existing) in _gateways)
                    {
                        if (other != connection && existing.Address == address)
                        {
                            other.Abort($"replaced by a newer announcement of {address}");
                        }
                    }

                    _gateways[connection] = info;
                }

                _announcements.Add(1);
                Log.GatewayAnnounced(_logger, id, address);
                PublishList();
                return;
            }

            case MessageKind.Subscribe when connection.PeerRole is "worker" or "client":
            {
                Frame.Read<SubscribeFrame>(ref frame);
                lock (_gate)
                {
                    _subscribers.Add(connection);
                    connection.TrySend(new GatewayListFrame(DistinctGateways()));
                }

                return;
            }

            case MessageKind.StatusReport when connection.PeerRole is "gateway" or "worker" or "client":
                _view.Report(connection, Frame.Read<StatusReportFrame>(ref frame));
                return;

            default:
                ThrowHelper.Protocol($"unexpected {frame.Kind} from a {connection.PeerRole}");
                return;
        }
    }

    private void PublishList()
    {
        lock (_gate)
        {
            ReadOnlySpan<byte> frame = Frame.Write(new GatewayListFrame(DistinctGateways()));
            foreach (InternalConnection subscriber in _subscribers)
            {
                subscriber.TrySend(frame);
            }
        }
    }

    private List<GatewayInfo> DistinctGateways()
    {
        var byAddress = new Dictionary<string, GatewayInfo>();
        foreach (GatewayInfo info in _gateways.Values)
        {
            byAddress[info.Address] = info;
        }

        return [.. byAddress.Values];
    }

    private static partial class Log
    {
        [LoggerMessage(2001, LogLevel.Information, "Register listening on {EndPoint}", EventName = "RegisterListening")]
        public static partial void Listening(ILogger logger, string endPoint);

        [LoggerMessage(2002, LogLevel.Information, "{Role} {NodeId} connected from {Remote}", EventName = "PeerConnected")]
        public static partial void PeerConnected(ILogger logger, string role, string nodeId, string remote);

        [LoggerMessage(2003, LogLevel.Information, "{Role} {NodeId} disconnected: {Reason}", EventName = "PeerDisconnected")]
        public static partial void PeerDisconnected(ILogger logger, string role, string nodeId, string reason);

        [LoggerMessage(2004, LogLevel.Information, "Gateway {GatewayId} announced at {Address}", EventName = "GatewayAnnounced")]
        public static partial void GatewayAnnounced(ILogger logger, string gatewayId, string address);

        [LoggerMessage(2005, LogLevel.Information, "Gateway {GatewayId} at {Address} removed", EventName = "GatewayRemoved")]
        public static partial void GatewayRemoved(ILogger logger, string gatewayId, string address);
    }
}
