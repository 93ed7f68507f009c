using Microsoft.Extensions.Logging;

namespace SwooleGateway.Gateway.Clients;

/// <summary>
/// One timer for all connections: closes idle clients and clients that missed pings, and sends each listener's pings.
/// A scan per tick costs O(connections); ticks are a quarter of the shortest configured interval (0.1 to 1 s).
/// </summary>
internal sealed partial class ClientSupervisor(ClientStore store, IReadOnlyList<ClientListener> listeners, GatewayMetrics metrics, ILogger logger)
{
    public async Task RunAsync(CancellationToken stopping)
    {
        var intervals = listeners.SelectMany(l => new[] { l.Options.IdleTimeout, l.Options.PingInterval }).Where(t => t > TimeSpan.Zero).ToList();
        if (intervals.Count == 0)
        {
            return;
        }

        TimeSpan tick = TimeSpan.FromMilliseconds(Math.Clamp(intervals.Min().TotalMilliseconds / 4, 100, 1000));
        var nextPing = listeners.ToDictionary(l => l, _ => Environment.TickCount64);
        var pingDue = new HashSet<ClientListener>();
        using var timer = new PeriodicTimer(tick);
        try
        {
            while (await timer.WaitForNextTickAsync(stopping).ConfigureAwait(false))
            {
                long now = Environment.TickCount64;
                pingDue.Clear();
                foreach (ClientListener l in listeners)
                {
                    if (l.Options.PingInterval > TimeSpan.Zero && now >= nextPing[l])
                    {
                        pingDue.Add(l);
                        nextPing[l] = now + (long)l.Options.PingInterval.TotalMilliseconds;
                    }
                }

                foreach (KeyValuePair<ulong, ClientConnection> entry in store.Connections)
                {
                    Check(entry.Value, now, pingDue);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void Check(ClientConnection c, long now, HashSet<ClientListener> pingDue)
    {
        ListenerOptions o = c.Listener.Options;
        long silent = now - Volatile.Read(ref c.LastReceived);
        if (o.IdleTimeout > TimeSpan.Zero && silent > o.IdleTimeout.TotalMilliseconds)
        {
            metrics.TimedOut.Add(1);
            Log.ClientTimedOut(logger, c.ClientId, c.Remote?.ToString() ?? "?", $"nothing received for {silent / 1000.0:0.#} s (IdleTimeout)");
            c.RequestClose(force: false, "idle timeout", 1001);
        }
        else if (o.PingInterval > TimeSpan.Zero && silent > o.PingInterval.TotalMilliseconds * Math.Max(1, o.MaxMissedPings))
        {
            metrics.TimedOut.Add(1);
            Log.ClientTimedOut(logger, c.ClientId, c.Remote?.ToString() ?? "?", $"nothing received for {silent / 1000.0:0.#} s ({o.MaxMissedPings} pings missed)");
            c.RequestClose(force: false, "missed pings", 1001);
        }
        else if (pingDue.Contains(c.Listener) && !c.IsClosing)
        {
            c.Listener.SendPing(c);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(3012, LogLevel.Information, "Closing client {ClientId} from {Remote}: {Reason}", EventName = "ClientTimedOut")]
        public static partial void ClientTimedOut(ILogger logger, string clientId, string remote, string reason);
    }
}
