using System.Net;
using Microsoft.Extensions.Logging;
using SwooleGateway.Options;
using SwooleGateway.Protocol;
using SwooleGateway.Transport;

namespace SwooleGateway.Hosting;

/// <summary>
/// Keeps one outbound internal link alive: resolve, connect, handshake, run, and reconnect with backoff
/// (100 ms doubling to <see cref="SwooleGatewayOptions.MaxReconnectDelay"/>; straight to the maximum after a
/// refusal that retrying cannot fix, such as a wrong secret). Used for register links and for worker→gateway links.
/// </summary>
internal static partial class OutboundLink
{
    private static readonly TimeSpan FirstDelay = TimeSpan.FromMilliseconds(100);

    /// <param name="peerKind">"register" or "gateway", for the log.</param>
    /// <param name="keepGoing">Checked before every attempt; false ends the loop.</param>
    /// <param name="runConnected">Runs an authenticated link until it closes.</param>
    public static async Task RunAsync(
        SocketTransport sockets, SwooleGatewayOptions options, ILogger logger, string address, string peerKind,
        string localRole, string localId, Func<bool> keepGoing, Func<InternalConnection, IPEndPoint, Task> runConnected,
        CancellationToken stopping, string[]? localTags = null)
    {
        TimeSpan delay = FirstDelay;
        bool reportUnreachable = true;
        while (!stopping.IsCancellationRequested && keepGoing())
        {
            try
            {
                IPEndPoint endpoint = await EndpointParser.ResolveAsync(address, stopping).ConfigureAwait(false);
                InternalConnection link = await InternalConnection.ConnectAsync(sockets, endpoint, localRole, localId, options, logger, stopping, localTags).ConfigureAwait(false);
                Log.Connected(logger, peerKind, address, link.PeerId);
                reportUnreachable = true;
                delay = FirstDelay;
                await runConnected(link, endpoint).ConfigureAwait(false);
                if (!stopping.IsCancellationRequested)
                {
                    Log.Lost(logger, peerKind, address, link.CloseReason);
                }
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (HandshakeException ex)
            {
                Log.Refused(logger, peerKind, address, ex.Message);
                if (ex.Permanent)
                {
                    delay = options.MaxReconnectDelay;
                }
            }
            catch (Exception ex) when (ex is System.Net.Sockets.SocketException or TimeoutException or IOException or InvalidOperationException or FormatException)
            {
                if (reportUnreachable)
                {
                    // Once per outage, not once per attempt.
                    Log.Unreachable(logger, peerKind, address, ex.Message);
                    reportUnreachable = false;
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

            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, options.MaxReconnectDelay.Ticks));
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1101, LogLevel.Information, "Connected to {PeerKind} {Address} ({PeerId})", EventName = "LinkConnected")]
        public static partial void Connected(ILogger logger, string peerKind, string address, string peerId);

        [LoggerMessage(1102, LogLevel.Warning, "Lost {PeerKind} {Address}: {Reason}; reconnecting", EventName = "LinkLost")]
        public static partial void Lost(ILogger logger, string peerKind, string address, string reason);

        [LoggerMessage(1103, LogLevel.Error, "{PeerKind} {Address} refused us: {Reason}", EventName = "LinkRefused")]
        public static partial void Refused(ILogger logger, string peerKind, string address, string reason);

        [LoggerMessage(1104, LogLevel.Warning, "{PeerKind} {Address} unreachable: {Reason}; retrying with backoff", EventName = "LinkUnreachable")]
        public static partial void Unreachable(ILogger logger, string peerKind, string address, string reason);
    }
}
