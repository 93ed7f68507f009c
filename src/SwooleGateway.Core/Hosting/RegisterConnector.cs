using Microsoft.Extensions.Logging;
using SwooleGateway.Options;
using SwooleGateway.Protocol;
using SwooleGateway.Transport;

namespace SwooleGateway.Hosting;

/// <summary>
/// Keeps a link to every configured register (see <see cref="OutboundLink"/>), lets the role say hello on each
/// (announce or subscribe) and hands the register's frames to <paramref name="handler"/>. Used by gateways and workers.
/// </summary>
internal sealed class RegisterConnector(
    SocketTransport sockets, SwooleGatewayOptions options, ILogger logger, string role, string nodeId,
    Action<string, InternalConnection> onConnected, IFrameHandler handler)
{
    public Task RunAsync(CancellationToken stopping) => Task.WhenAll(options.EffectiveRegisters.Select(address =>
        OutboundLink.RunAsync(sockets, options, logger, address, "register", role, nodeId, static () => true, (link, _) =>
        {
            onConnected(address, link);
            return link.RunAsync(handler, stopping);
        }, stopping)));
}
