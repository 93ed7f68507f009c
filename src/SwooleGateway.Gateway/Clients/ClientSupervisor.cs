using Microsoft.Extensions.Logging;

namespace SwooleGateway.Gateway.Clients;

/// <summary>
/// One timer for all connections: closes idle clients and clients that missed pings, and sends each listener's pings.
/// A scan per tick costs O(connections); ticks are a quarter of the shortest configured interval (0.1 to 1 s). The
/// listeners' IdleTimeout, PingInterval and MaxMissedPings are live: a changed configuration applies from the next tick.
/// </summary>
internal sealed partial class ClientSupervisor(ClientStore store, IReadOnlyList<ClientListener> listeners, LiveGatewayOptions live, GatewayMetrics metrics, ILogger logger)
{
    public async Task RunAsync(CancellationToken stopping)
    {
        var nextPing = listeners.ToDictionary(l => l, _ => Environment.TickCount64);
        var pingDue = new HashSet<ClientListener>();
        GatewayOptions? seen = null;
        Dictionary<ClientListener, ListenerOptions> timing = [];
        TimeSpan tick = TimeSpan.FromSeconds(1);
        bool any = false;
        try
        {
            while (true)
            {
                if (!ReferenceEquals(live.Current, seen))
                {
                    seen = live.Current;
                    timing = Timings(seen);
                    var intervals = timing.Values.SelectMany(o => new[] { o.IdleTimeout, o.PingInterval }).Where(t => t > TimeSpan.Zero).ToList();
                    any = intervals.Count > 0;
                    tick = any ? TimeSpan.FromMilliseconds(Math.Clamp(intervals.Min().TotalMilliseconds / 4, 100, 1000)) : TimeSpan.FromSeconds(1);
                }

                await Task.Delay(tick, stopping).ConfigureAwait(false);
                if (!any)
                {
                    continue;
                }

                long now = Environment.TickCount64;
                pingDue.Clear();
                foreach (ClientListener l in listeners)
                {
                    TimeSpan ping = timing[l].PingInterval;
                    if (ping > TimeSpan.Zero && now >= nextPing[l])
                    {
                        pingDue.Add(l);
                        nextPing[l] = now + (long)ping.TotalMilliseconds;
                    }
                }

                foreach (KeyValuePair<ulong, ClientConnection> entry in store.Connections)
                {
                    Check(entry.Value, now, pingDue, timing[entry.Value.Listener]);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Each listener's timing settings as configured now (matched by name; a listener the configuration no longer names keeps its own).</summary>
    private Dictionary<ClientListener, ListenerOptions> Timings(GatewayOptions options)
    {
        IReadOnlyList<ListenerOptions> configured = options.EffectiveListeners;
        return listeners.ToDictionary(l => l, l => configured.FirstOrDefault(o => string.Equals(o.DisplayName, l.Name, StringComparison.OrdinalIgnoreCase)) ?? l.Options);
    }

    private void Check(ClientConnection c, long now, HashSet<ClientListener> pingDue, ListenerOptions o)
    {
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
