using System.Buffers.Text;
using System.Diagnostics;
using System.Text;

namespace SwooleGateway.LoadTest;

/// <summary>
/// N receivers, one sender; the sender keeps at most --window broadcasts in flight, a broadcast being done
/// when every receiver has it. Counts deliveries to receivers and, after a drain, the ones that never came.
/// </summary>
public static class BroadcastLoad
{
    private const int Ring = 1 << 16;

    public static async Task<LoadResult> RunAsync(LoadOptions options, CancellationToken cancellationToken)
    {
        int receivers = options.Connections;
        LoadConnection[] connections = await Connect.AllAsync(options, receivers, cancellationToken);
        LoadConnection[] stalled = await Connect.AllAsync(options, options.Stalled, cancellationToken); // connect, never read
        LoadConnection sender = await LoadConnection.ConnectAsync(options, cancellationToken);
        int expected = receivers + options.Stalled + 1;
        if (await Connect.WaitForCountAsync(sender, expected, TimeSpan.FromSeconds(30), cancellationToken) < expected)
        {
            throw new TimeoutException($"the cluster did not report {expected} clients within 30 s");
        }

        var remaining = new int[Ring];
        var sentAt = new long[Ring];
        var histogram = new Histogram();
        using var window = new SemaphoreSlim(options.Window);
        long delivered = 0;
        long errors = 0;
        long start = Stopwatch.GetTimestamp();
        long measureFrom = start + (long)(options.Warmup.TotalSeconds * Stopwatch.Frequency);
        long measureTo = measureFrom + (long)(options.Duration.TotalSeconds * Stopwatch.Frequency);
        using var readers = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);

        Task[] receiveLoops = connections.Select(async connection =>
        {
            byte[] buffer = new byte[options.Size + 1024];
            while (!readers.IsCancellationRequested)
            {
                int n;
                try
                {
                    n = await connection.ReceiveAsync(buffer, readers.Token);
                }
                catch (Exception)
                {
                    return;
                }

                if (n < 0)
                {
                    return;
                }

                long now = Stopwatch.GetTimestamp();
                if (!TryParseSequence(buffer.AsSpan(0, n), out long seq))
                {
                    Interlocked.Increment(ref errors);
                    continue;
                }

                int slot = (int)(seq % Ring);
                long sent = Volatile.Read(ref sentAt[slot]);
                if (sent >= measureFrom && sent < measureTo)
                {
                    Interlocked.Increment(ref delivered);
                    histogram.Add((now - sent) * 1_000_000 / Stopwatch.Frequency);
                }

                if (Interlocked.Decrement(ref remaining[slot]) == 0)
                {
                    window.Release();
                }
            }
        }).ToArray();

        // The sender also receives its own broadcasts; drain them so its socket never backs up.
        Task senderDrain = Task.Run(async () =>
        {
            byte[] buffer = new byte[options.Size + 1024];
            try
            {
                while (await sender.ReceiveAsync(buffer, readers.Token) >= 0)
                {
                }
            }
            catch (Exception)
            {
            }
        });

        string padding = new('x', Math.Max(0, options.Size - 24));
        long next = 0;
        long measuredSent = 0;
        while (!cancellationToken.IsCancellationRequested && next < options.MaxMessages && Stopwatch.GetTimestamp() < measureTo)
        {
            await window.WaitAsync(cancellationToken);
            long seq = next++;
            int slot = (int)(seq % Ring);
            Volatile.Write(ref remaining[slot], receivers);
            long now = Stopwatch.GetTimestamp();
            Volatile.Write(ref sentAt[slot], now);
            if (now >= measureFrom)
            {
                measuredSent++;
            }

            await sender.SendAsync(Encoding.ASCII.GetBytes($"bcast:{seq:D12}:{padding}"), cancellationToken);
        }

        // Drain: wait (bounded) for everything in flight.
        var drainUntil = Stopwatch.GetTimestamp() + (5 * Stopwatch.Frequency);
        while (window.CurrentCount < options.Window && Stopwatch.GetTimestamp() < drainUntil)
        {
            await Task.Delay(10, CancellationToken.None);
        }

        long missing = 0;
        for (long s = Math.Max(0, next - Ring); s < next; s++)
        {
            missing += Math.Max(0, Volatile.Read(ref remaining[(int)(s % Ring)]));
        }

        double seconds = options.Duration.TotalSeconds;
        readers.Cancel();
        await Connect.DisposeAllAsync([.. connections, .. stalled, sender]);
        await Task.WhenAll([.. receiveLoops, senderDrain]).WaitAsync(TimeSpan.FromSeconds(10), CancellationToken.None).ContinueWith(_ => { }, TaskScheduler.Default);
        return new LoadResult
        {
            Mode = "broadcast", Transport = options.Transport, Target = options.Target.ToString(), Connections = receivers, Size = Math.Max(options.Size, 19),
            Seconds = seconds, Completed = delivered, PerSecond = delivered / seconds, Missing = missing, Errors = errors, Stalled = options.Stalled,
            P50Ms = histogram.PercentileMs(50), P90Ms = histogram.PercentileMs(90), P99Ms = histogram.PercentileMs(99), MaxMs = histogram.MaxMs,
        };
    }

    private static bool TryParseSequence(ReadOnlySpan<byte> message, out long seq)
    {
        seq = 0;
        return message.Length >= 18 && message.StartsWith("bcast:"u8) && Utf8Parser.TryParse(message.Slice(6, 12), out seq, out int used) && used == 12;
    }
}
