using System.Collections.Concurrent;
using System.Net;

namespace SwooleGateway.Gateway.Clients;

/// <summary>Per-IP connection counts and throttle buckets. An entry lives while the IP has connections.</summary>
internal sealed class IpTable
{
    private readonly ConcurrentDictionary<IPAddress, IpState> _ips = new();

    /// <summary>Counts a new connection from <paramref name="ip"/>; null when that IP is at <paramref name="max"/> (0 = no limit).</summary>
    public IpState? TryAcquire(IPAddress ip, int max)
    {
        while (true)
        {
            IpState state = _ips.GetOrAdd(ip, static a => new IpState(a));
            lock (state)
            {
                if (state.Removed)
                {
                    continue; // lost a race with the last connection of this IP leaving
                }

                if (max > 0 && state.Connections >= max)
                {
                    return null;
                }

                state.Connections++;
                return state;
            }
        }
    }

    public void Release(IpState state)
    {
        lock (state)
        {
            if (--state.Connections == 0)
            {
                state.Removed = true;
                _ips.TryRemove(KeyValuePair.Create(state.Address, state));
            }
        }
    }

    /// <summary>Takes one token from the IP's bucket (refilled lazily by whole intervals); false when empty.</summary>
    public static bool TryTake(IpState state, ThrottleOptions throttle, long nowMs)
    {
        long interval = Math.Max(1, (long)throttle.RefillInterval.TotalMilliseconds);
        int capacity = throttle.TokensPerInterval;
        lock (state)
        {
            if (state.LastRefill == 0)
            {
                state.LastRefill = nowMs;
                state.Tokens = capacity;
            }
            else if (nowMs - state.LastRefill >= interval)
            {
                long intervals = (nowMs - state.LastRefill) / interval;
                state.Tokens = (int)Math.Min(capacity, state.Tokens + (intervals * capacity));
                state.LastRefill += intervals * interval;
            }

            if (state.Tokens > capacity)
            {
                state.Tokens = capacity; // the limit was lowered while running
            }

            if (state.Tokens > 0)
            {
                state.Tokens--;
                return true;
            }

            return false;
        }
    }
}

internal sealed class IpState(IPAddress address)
{
    public IPAddress Address { get; } = address;

    public int Connections;
    public bool Removed;
    public int Tokens;
    public long LastRefill;
    public long LastThrottleLog;
}
