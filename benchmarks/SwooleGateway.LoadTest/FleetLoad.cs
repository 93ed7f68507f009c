using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace SwooleGateway.LoadTest;

/// <summary>
/// Many clients over several processes (a process may hold at most ~20,000 sockets here): each holder connects its share
/// to one gateway, binds every 100th client to a uid and puts every client in one of 1,000 groups (through the Echo
/// sample's <c>uid:</c> and <c>join:</c> commands), then counts what arrives. One driver then sends broadcasts to
/// everyone, one message to each uid and one to each group. Latency is measured from the driver's send to each
/// receipt with the machine's monotonic clock (<see cref="Stopwatch"/> is CLOCK_MONOTONIC, the same in every process).
/// The processes meet through files in <see cref="LoadOptions.Dir"/>: <c>ready.ID</c> when a holder's clients are bound,
/// <c>broadcasts.ID</c> when all broadcasts reached it, <c>stop</c> to end early. Each prints one JSON line.
/// </summary>
public static class FleetLoad
{
    public const int UidEvery = 100;
    public const int Groups = 1000;

    public static async Task<int> HoldAsync(LoadOptions o, CancellationToken cancellationToken)
    {
        int n = o.Connections;
        long bindErrors = 0;
        var clock = Stopwatch.StartNew();
        LoadConnection[] connections = await Connect.AllAsync(o, n, cancellationToken, async (c, i) =>
        {
            int global = o.First + i;
            byte[] buffer = new byte[256];
            if (global % UidEvery == 0 && !await CommandAsync(c, $"uid:u{global / UidEvery}", buffer, cancellationToken))
            {
                Interlocked.Increment(ref bindErrors);
            }

            if (!await CommandAsync(c, $"join:g{global % Groups}", buffer, cancellationToken))
            {
                Interlocked.Increment(ref bindErrors);
            }
        });

        double connectSeconds = clock.Elapsed.TotalSeconds;
        long uids = Enumerable.Range(o.First, n).Count(g => g % UidEvery == 0);
        var kinds = new Dictionary<char, Kind>
        {
            ['b'] = new Kind((long)o.Broadcasts * n),
            ['U'] = new Kind(uids),
            ['G'] = new Kind(n),
        };
        long errors = 0;
        long disconnected = 0;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var readers = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        string broadcastsFile = Path.Combine(o.Dir, $"broadcasts.{o.Id}");
        int broadcastsAnnounced = 0;

        void CheckDone()
        {
            if (kinds['b'].Complete && Interlocked.Exchange(ref broadcastsAnnounced, 1) == 0)
            {
                File.WriteAllText(broadcastsFile, "");
            }

            if (kinds.Values.All(k => k.Complete))
            {
                done.TrySetResult();
            }
        }

        Task[] loops = [.. connections.Select(async connection =>
        {
            byte[] buffer = new byte[256];
            while (true)
            {
                int len;
                try
                {
                    len = await connection.ReceiveAsync(buffer, readers.Token);
                }
                catch (Exception)
                {
                    if (!readers.IsCancellationRequested)
                    {
                        Interlocked.Increment(ref disconnected);
                    }

                    return;
                }

                if (len < 0)
                {
                    Interlocked.Increment(ref disconnected);
                    return;
                }

                long now = Stopwatch.GetTimestamp();
                ReadOnlySpan<byte> m = buffer.AsSpan(0, len);
                int colon = m.LastIndexOf((byte)':');
                if (len == 0 || !kinds.TryGetValue((char)m[0], out Kind? kind) || colon < 0
                    || !long.TryParse(m[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out long sentAt))
                {
                    Interlocked.Increment(ref errors);
                    continue;
                }

                if (kind.Add(now, sentAt))
                {
                    CheckDone();
                }
            }
        })];

        File.WriteAllText(Path.Combine(o.Dir, $"ready.{o.Id}"), connectSeconds.ToString(CultureInfo.InvariantCulture));
        string stopFile = Path.Combine(o.Dir, "stop");
        while (!done.Task.IsCompleted && !File.Exists(stopFile) && !cancellationToken.IsCancellationRequested)
        {
            await Task.WhenAny(done.Task, Task.Delay(200, CancellationToken.None));
        }

        readers.Cancel();
        foreach (LoadConnection c in connections)
        {
            await c.DisposeAsync();
        }

        await Task.WhenAll(loops).WaitAsync(TimeSpan.FromSeconds(10), CancellationToken.None).ContinueWith(_ => { }, TaskScheduler.Default);
        var report = new Dictionary<string, object>
        {
            ["id"] = o.Id, ["clients"] = n, ["connectSeconds"] = connectSeconds, ["bindErrors"] = bindErrors,
            ["errors"] = errors, ["disconnected"] = disconnected,
            ["broadcast"] = kinds['b'].Report(), ["uid"] = kinds['U'].Report(), ["group"] = kinds['G'].Report(),
        };
        Console.WriteLine(JsonSerializer.Serialize(report));
        return 0;
    }

    public static async Task<int> DriveAsync(LoadOptions o, CancellationToken cancellationToken)
    {
        await WaitForFilesAsync(o.Dir, "ready.", o.Holders, TimeSpan.FromMinutes(5), cancellationToken);
        LoadConnection driver = await LoadConnection.ConnectAsync(o, cancellationToken);
        // Every client in the tables (the holders' and this one) before the first broadcast.
        int count = await Connect.WaitForCountAsync(driver, o.Total + 1, TimeSpan.FromSeconds(60), cancellationToken);
        if (count != o.Total + 1)
        {
            Console.Error.WriteLine($"the cluster reports count:{count}, expected count:{o.Total + 1}");
            return 1;
        }

        // The driver receives its own broadcasts: drain them.
        using var drain = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task drainer = Task.Run(async () =>
        {
            byte[] b = new byte[256];
            try
            {
                while (await driver.ReceiveAsync(b, drain.Token) >= 0)
                {
                }
            }
            catch (Exception)
            {
            }
        }, CancellationToken.None);

        long broadcastStart = Stopwatch.GetTimestamp();
        for (int seq = 0; seq < o.Broadcasts; seq++)
        {
            await driver.SendAsync(Encoding.ASCII.GetBytes($"bcast:{seq:D12}:{Stopwatch.GetTimestamp()}"), cancellationToken);
        }

        long broadcastSent = Stopwatch.GetTimestamp();
        bool broadcastsArrived = await WaitForFilesAsync(o.Dir, "broadcasts.", o.Holders, TimeSpan.FromMinutes(2), cancellationToken);

        long targetedStart = Stopwatch.GetTimestamp();
        int uids = o.Total / UidEvery;
        for (int k = 0; k < uids; k++)
        {
            await driver.SendAsync(Encoding.ASCII.GetBytes($"touid:u{k}:U{k}:{Stopwatch.GetTimestamp()}"), cancellationToken);
        }

        for (int k = 0; k < Groups; k++)
        {
            await driver.SendAsync(Encoding.ASCII.GetBytes($"togroup:g{k}:G{k}:{Stopwatch.GetTimestamp()}"), cancellationToken);
        }

        long targetedSent = Stopwatch.GetTimestamp();
        drain.Cancel(); // everything is sent: what still comes to the driver itself is not measured
        await drainer.WaitAsync(TimeSpan.FromSeconds(10), CancellationToken.None).ContinueWith(_ => { }, TaskScheduler.Default);
        await driver.DisposeAsync();
        var report = new Dictionary<string, object>
        {
            ["frequency"] = Stopwatch.Frequency, ["broadcasts"] = o.Broadcasts, ["uids"] = uids, ["groups"] = Groups,
            ["broadcastStart"] = broadcastStart, ["broadcastSent"] = broadcastSent, ["broadcastsArrived"] = broadcastsArrived,
            ["targetedStart"] = targetedStart, ["targetedSent"] = targetedSent,
        };
        Console.WriteLine(JsonSerializer.Serialize(report));
        return 0;
    }

    private static async Task<bool> CommandAsync(LoadConnection c, string command, byte[] buffer, CancellationToken cancellationToken)
    {
        await c.SendAsync(Encoding.ASCII.GetBytes(command), cancellationToken);
        int len = await c.ReceiveAsync(buffer, cancellationToken);
        return len > 3 && buffer.AsSpan(0, 3).SequenceEqual("ok:"u8);
    }

    private static async Task<bool> WaitForFilesAsync(string dir, string prefix, int count, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var until = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (Directory.GetFiles(dir, prefix + "*").Length < count)
        {
            if (Stopwatch.GetTimestamp() > until)
            {
                Console.Error.WriteLine($"timed out waiting for {count} {prefix}* files in {dir}");
                return false;
            }

            await Task.Delay(100, cancellationToken);
        }

        return true;
    }

    /// <summary>One kind of message a holder counts: receipts, first and last receipt, latency from the driver's send.</summary>
    private sealed class Kind(long expected)
    {
        private readonly Histogram _latency = new();
        private long _received;
        private long _first = long.MaxValue;
        private long _last;

        public bool Complete => Volatile.Read(ref _received) >= expected;

        /// <summary>Counts one receipt; true when it completed the expected number.</summary>
        public bool Add(long now, long sentAt)
        {
            _latency.Add(Math.Max(0, (now - sentAt) * 1_000_000 / Stopwatch.Frequency));
            long first;
            while (now < (first = Volatile.Read(ref _first)) && Interlocked.CompareExchange(ref _first, now, first) != first)
            {
            }

            long last;
            while (now > (last = Volatile.Read(ref _last)) && Interlocked.CompareExchange(ref _last, now, last) != last)
            {
            }

            return Interlocked.Increment(ref _received) == expected;
        }

        public Dictionary<string, object> Report() => new()
        {
            ["expected"] = expected, ["received"] = Volatile.Read(ref _received), ["first"] = _first == long.MaxValue ? 0 : _first, ["last"] = _last,
            ["histogram"] = _latency.Buckets(),
        };
    }
}
