using Microsoft.Extensions.Logging;
using SwooleGateway.Options;
using SwooleGateway.Protocol;
using SwooleGateway.Protocol.Messages;
using SwooleGateway.Transport;

namespace SwooleGateway.Hosting;

/// <summary>
/// Keeps a link to every configured register (see <see cref="OutboundLink"/>), lets the role say hello on each
/// (announce or subscribe) and hands the register's frames to <paramref name="handler"/>. Used by gateways and workers.
/// With <paramref name="report"/>, it also sends the role's <see cref="StatusReportFrame"/> on every link, at once and
/// every <see cref="SwooleGatewayOptions.StatusInterval"/>, for the register's cluster view.
/// </summary>
internal sealed class RegisterConnector(
    SocketTransport sockets, SwooleGatewayOptions options, ILogger logger, string role, string nodeId,
    Action<string, InternalConnection> onConnected, IFrameHandler handler, Func<StatusReportFrame>? report = null)
{
    public Task RunAsync(CancellationToken stopping) => Task.WhenAll(options.EffectiveRegisters.Select(address =>
        OutboundLink.RunAsync(sockets, options, logger, address, "register", role, nodeId, static () => true, async (link, _) =>
        {
            onConnected(address, link);
            Task reports = report is null ? Task.CompletedTask : ReportAsync(link);
            await link.RunAsync(handler, stopping).ConfigureAwait(false);
            await reports.ConfigureAwait(false);
        }, stopping)));

    private async Task ReportAsync(InternalConnection link)
    {
        TimeSpan interval = options.StatusInterval > TimeSpan.Zero ? options.StatusInterval : TimeSpan.FromSeconds(2);
        using var timer = new PeriodicTimer(interval);
        try
        {
            do
            {
                StatusReportFrame frame;
                try
                {
                    frame = report!();
                }
                catch (Exception ex) when (ex is InvalidOperationException or ObjectDisposedException)
                {
                    continue; // stopping, or a table changed under a count: the next tick reports
                }

                link.TrySend(frame);
            }
            while (await timer.WaitForNextTickAsync(link.Closing).ConfigureAwait(false));
        }
        catch (OperationCanceledException)
        {
        }
    }
}
