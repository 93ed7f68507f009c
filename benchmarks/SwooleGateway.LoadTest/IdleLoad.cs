using System.Diagnostics;
using System.Globalization;

namespace SwooleGateway.LoadTest;

/// <summary>Holds N idle connections and measures the server processes' RSS growth per connection.</summary>
public static class IdleLoad
{
    public static async Task<LoadResult> RunAsync(LoadOptions options, CancellationToken cancellationToken)
    {
        long before = await SettledRssAsync(options.Pids, cancellationToken);
        var clock = Stopwatch.StartNew();
        LoadConnection[] connections = await Connect.AllAsync(options, options.Connections, cancellationToken);
        double connectSeconds = clock.Elapsed.TotalSeconds;
        await Task.Delay(options.Hold, cancellationToken);
        long after = await SettledRssAsync(options.Pids, cancellationToken);
        await Connect.DisposeAllAsync(connections);
        double perConnection = options.Pids.Length == 0 ? 0 : (after - before) / (double)options.Connections;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"idle: {options.Connections:N0} connections in {connectSeconds:0.0} s ({options.Connections / connectSeconds:N0}/s); server RSS {before / 1048576.0:0.0} MiB -> {after / 1048576.0:0.0} MiB = {perConnection:N0} bytes per connection"));
        return new LoadResult
        {
            Mode = "idle", Transport = options.Transport, Target = options.Target.ToString(), Connections = options.Connections,
            Seconds = connectSeconds, Completed = options.Connections, PerSecond = options.Connections / connectSeconds,
            RssBefore = before, RssAfter = after, BytesPerConnection = perConnection,
        };
    }

    /// <summary>Sum of VmRSS of the processes, read until two readings 1 s apart agree within 1%.</summary>
    private static async Task<long> SettledRssAsync(int[] pids, CancellationToken cancellationToken)
    {
        if (pids.Length == 0)
        {
            return 0;
        }

        long last = Rss(pids);
        for (int i = 0; i < 10; i++)
        {
            await Task.Delay(1000, cancellationToken);
            long now = Rss(pids);
            if (Math.Abs(now - last) <= last / 100)
            {
                return now;
            }

            last = now;
        }

        return last;
    }

    private static long Rss(int[] pids)
    {
        long total = 0;
        foreach (int pid in pids)
        {
            foreach (string line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    total += long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
                }
            }
        }

        return total;
    }
}
