using System.Diagnostics;
using System.Text;

namespace SwooleGateway.LoadTest;

/// <summary>
/// Closed loop: each connection sends "echo:..." and waits for it before sending the next. With <c>--rate</c>, each
/// connection also waits for its next slot of an even schedule (its share of the rate, offset from the others), so
/// the servers see a steady rate below what they could do.
/// </summary>
public static class EchoLoad
{
    public static async Task<LoadResult> RunAsync(LoadOptions options, CancellationToken cancellationToken)
    {
        LoadConnection[] connections = await Connect.AllAsync(options, options.Connections, cancellationToken);
        byte[] payload = Encoding.ASCII.GetBytes("echo:" + new string('x', Math.Max(0, options.Size - 5)));
        var histogram = new Histogram();
        long completed = 0;
        long errors = 0;
        long sent = 0;
        long start = Stopwatch.GetTimestamp();
        long measureFrom = start + (long)(options.Warmup.TotalSeconds * Stopwatch.Frequency);
        long measureTo = measureFrom + (long)(options.Duration.TotalSeconds * Stopwatch.Frequency);

        // Paced: connection i sends at start + (i + k * connections) / rate, for k = 0, 1, ... (never two in flight).
        long interval = options.Rate > 0 ? (long)(Stopwatch.Frequency * options.Connections / options.Rate) : 0;
        Task[] loops = connections.Select(async (connection, index) =>
        {
            byte[] buffer = new byte[payload.Length + 1024];
            long next = start + (interval > 0 ? interval * index / options.Connections : 0);
            while (!cancellationToken.IsCancellationRequested && Interlocked.Increment(ref sent) <= options.MaxMessages)
            {
                if (interval > 0)
                {
                    long wait = next - Stopwatch.GetTimestamp();
                    if (wait > 0)
                    {
                        await Task.Delay(TimeSpan.FromSeconds((double)wait / Stopwatch.Frequency), cancellationToken);
                    }

                    next += interval;
                }

                long t0 = Stopwatch.GetTimestamp();
                if (t0 >= measureTo)
                {
                    return;
                }

                try
                {
                    await connection.SendAsync(payload, cancellationToken);
                    int n = await connection.ReceiveAsync(buffer, cancellationToken);
                    if (n != payload.Length)
                    {
                        Interlocked.Increment(ref errors);
                        if (n < 0)
                        {
                            return;
                        }

                        continue;
                    }
                }
                catch (Exception) when (!cancellationToken.IsCancellationRequested)
                {
                    Interlocked.Increment(ref errors);
                    return;
                }

                long t1 = Stopwatch.GetTimestamp();
                if (t0 >= measureFrom)
                {
                    Interlocked.Increment(ref completed);
                    histogram.Add((t1 - t0) * 1_000_000 / Stopwatch.Frequency);
                }
            }
        }).ToArray();

        try
        {
            await Task.WhenAll(loops);
        }
        catch (OperationCanceledException)
        {
        }

        double seconds = Math.Min(Stopwatch.GetElapsedTime(measureFrom).TotalSeconds, options.Duration.TotalSeconds);
        await Connect.DisposeAllAsync(connections);
        return new LoadResult
        {
            Mode = "echo", Transport = options.Transport, Target = options.Target.ToString(), Connections = options.Connections, Size = payload.Length,
            Seconds = seconds, Completed = completed, PerSecond = completed / seconds, Errors = errors,
            P50Ms = histogram.PercentileMs(50), P90Ms = histogram.PercentileMs(90), P99Ms = histogram.PercentileMs(99), MaxMs = histogram.MaxMs,
        };
    }
}
