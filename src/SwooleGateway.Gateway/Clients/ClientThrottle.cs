using Microsoft.Extensions.Logging;

namespace SwooleGateway.Gateway.Clients;

/// <summary>
/// The per-IP message throttle (the seed's token refill): each client message takes a token from its IP's bucket; when
/// none is left the message is dropped, or its client closed, or every client of the IP closed. Settings are live.
/// </summary>
internal sealed partial class ClientThrottle(ClientStore store, LiveGatewayOptions live, GatewayMetrics metrics, ILogger logger)
{
    /// <summary>Takes a token for one message from <paramref name="connection"/>; false (after acting) when its IP has none left.</summary>
    public bool Allow(ClientConnection connection)
    {
        if (connection.Ip is not { } ip || live.Current.Throttle is not { TokensPerInterval: > 0 } throttle || IpTable.TryTake(ip, throttle, Environment.TickCount64))
        {
            return true;
        }

        metrics.Throttled.Add(1);
        long now = Environment.TickCount64;
        if (now - Volatile.Read(ref ip.LastThrottleLog) > 10_000)
        {
            Volatile.Write(ref ip.LastThrottleLog, now); // one line per IP per 10 s, not per message
            Log.Throttled(logger, ip.Address.ToString(), throttle.TokensPerInterval, throttle.RefillInterval, throttle.Action);
        }

        switch (throttle.Action)
        {
            case ThrottleAction.Close:
                connection.RequestClose(force: false, "throttled: too many messages", 1008);
                break;
            case ThrottleAction.CloseAllFromIp:
                foreach (KeyValuePair<ulong, ClientConnection> entry in store.Connections)
                {
                    if (entry.Value.Ip == ip)
                    {
                        entry.Value.RequestClose(force: false, "throttled: too many messages from this IP", 1008);
                    }
                }

                break;
        }

        return false;
    }

    private static partial class Log
    {
        [LoggerMessage(3013, LogLevel.Warning, "Throttling {Ip}: more than {Tokens} messages per {Interval} ({Action})", EventName = "Throttled")]
        public static partial void Throttled(ILogger logger, string ip, int tokens, TimeSpan interval, ThrottleAction action);
    }
}
