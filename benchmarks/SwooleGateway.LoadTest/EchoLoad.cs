using System.Diagnostics;
using System.Text;

namespace SwooleGateway.LoadTest;

/// <summary>Closed loop: each connection sends "echo:..." and waits for it before sending the next.</summary>
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

        Task[] loops = connections.Select(async connection =>
        {
            byte[] buffer = new byte[payload.Length + 1024];
            while (!cancellationToken.IsCancellationRequested && Interlocked.Increment(ref sent) <= options.MaxMessages)
            {
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
