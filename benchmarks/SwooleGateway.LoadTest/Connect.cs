using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace SwooleGateway.LoadTest;

internal static class Connect
{
    /// <summary>
    /// Asks the Echo sample's "count" command until the cluster reports at least <paramref name="expected"/> clients or
    /// <paramref name="timeout"/> has passed; returns the last count reported (-1 when none was).
    /// </summary>
    public static async Task<int> WaitForCountAsync(LoadConnection control, int expected, TimeSpan timeout, CancellationToken cancellationToken)
    {
        byte[] buffer = new byte[256];
        long until = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        int count = -1;
        while (Stopwatch.GetTimestamp() < until)
        {
            await control.SendAsync("count"u8.ToArray(), cancellationToken);
            int n = await control.ReceiveAsync(buffer, cancellationToken);
            string reply = n > 0 ? Encoding.ASCII.GetString(buffer, 0, n) : "";
            if (reply.StartsWith("count:", StringComparison.Ordinal) && int.TryParse(reply.AsSpan(6), NumberStyles.None, CultureInfo.InvariantCulture, out count)
                && count >= expected)
            {
                return count;
            }

            await Task.Delay(100, cancellationToken);
        }

        return count;
    }

    /// <summary>
    /// Opens <paramref name="count"/> connections, 64 at a time; <paramref name="setUp"/>, when given, runs on each new
    /// connection (with its index) before its slot goes to the next.
    /// </summary>
    public static async Task<LoadConnection[]> AllAsync(LoadOptions options, int count, CancellationToken cancellationToken,
        Func<LoadConnection, int, Task>? setUp = null)
    {
        var connections = new LoadConnection[count];
        using var gate = new SemaphoreSlim(64);
        await Task.WhenAll(Enumerable.Range(0, count).Select(async i =>
        {
            await gate.WaitAsync(cancellationToken);
            try
            {
                connections[i] = await LoadConnection.ConnectAsync(options, cancellationToken);
                if (setUp is not null)
                {
                    await setUp(connections[i], i);
                }
            }
            finally
            {
                gate.Release();
            }
        }));
        return connections;
    }

    public static async Task DisposeAllAsync(IEnumerable<LoadConnection> connections)
    {
        foreach (LoadConnection c in connections)
        {
            await c.DisposeAsync();
        }
    }
}
