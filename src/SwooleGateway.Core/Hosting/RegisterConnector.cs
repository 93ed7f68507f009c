using Microsoft.Extensions.Logging;
using SwooleGateway.Options;
using SwooleGateway.Protocol;
using SwooleGateway.Transport;

namespace SwooleGateway.Hosting;

/// <summary>
/// Keeps one link to each configured register alive: connect, handshake, let the role say hello
/// (announce or subscribe), run the link, and reconnect with backoff (100 ms doubling to
/// <see cref="SwooleGatewayOptions.MaxReconnectDelay"/>) when it drops. Used by gateways and workers.
/// </summary>
internal sealed partial class RegisterConnector
{
    private readonly SocketTransport _sockets;
    private readonly SwooleGatewayOptions _options;
    private readonly ILogger _logger;
    private readonly string _role;
    private readonly string _nodeId;
    private readonly Action<string, InternalConnection> _onConnected;
    private readonly IFrameHandler _handler;

    public RegisterConnector(SocketTransport sockets, SwooleGatewayOptions options, ILogger logger, string role, string nodeId,
        Action<string, InternalConnection> onConnected, IFrameHandler handler)
    {
        _sockets = sockets;
        _options = options;
        _logger = logger;
        _role = role;
        _nodeId = nodeId;
        _onConnected = onConnected;
        _handler = handler;
    }

    public Task RunAsync(CancellationToken stopping) =>
        Task.WhenAll(_options.EffectiveRegisters.Select(address => RunOneAsync(address, stopping)));

    private async Task RunOneAsync(string address, CancellationToken stopping)
    {
        var delay = TimeSpan.FromMilliseconds(100);
        bool wasConnected = true;
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                var endpoint = await EndpointParser.ResolveAsync(address, stopping).ConfigureAwait(false);
                InternalConnection link = await InternalConnection.ConnectAsync(_sockets, endpoint, _role, _nodeId, _options, _logger, stopping).ConfigureAwait(false);
                Log.Connected(_logger, address);
                wasConnected = true;
                delay = TimeSpan.FromMilliseconds(100);
                _onConnected(address, link);
                await link.RunAsync(_handler, stopping).ConfigureAwait(false);
                if (!stopping.IsCancellationRequested)
                {
                    Log.Lost(_logger, address, link.CloseReason);
                }
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (HandshakeException ex)
            {
                Log.Refused(_logger, address, ex.Message);
                if (ex.Permanent)
                {
                    delay = _options.MaxReconnectDelay;
                }
            }
            catch (Exception ex) when (ex is System.Net.Sockets.SocketException or TimeoutException or IOException or InvalidOperationException or FormatException)
            {
                if (wasConnected)
                {
                    Log.Unreachable(_logger, address, ex.Message);
                    wasConnected = false;
                }
            }

            try
            {
                await Task.Delay(delay, stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.MaxReconnectDelay.Ticks));
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1101, LogLevel.Information, "Connected to register {Address}", EventName = "RegisterConnected")]
        public static partial void Connected(ILogger logger, string address);

        [LoggerMessage(1102, LogLevel.Warning, "Lost register {Address}: {Reason}; reconnecting (traffic is not affected)", EventName = "RegisterLost")]
        public static partial void Lost(ILogger logger, string address, string reason);

        [LoggerMessage(1103, LogLevel.Error, "Register {Address} refused us: {Reason}", EventName = "RegisterRefused")]
        public static partial void Refused(ILogger logger, string address, string reason);

        [LoggerMessage(1104, LogLevel.Warning, "Register {Address} unreachable: {Reason}; retrying with backoff", EventName = "RegisterUnreachable")]
        public static partial void Unreachable(ILogger logger, string address, string reason);
    }
}
