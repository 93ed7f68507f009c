namespace SwooleGateway.LoadTest;

/// <summary>Latency histogram with 1 µs buckets up to 10 ms and 100 µs buckets up to 10 s; thread-safe adds.</summary>
public sealed class Histogram
{
    private const int FineBuckets = 10_000;      // 0..10 ms in 1 µs
    private const int CoarseBuckets = 100_000;   // 10 ms..10 s in 100 µs
    private readonly long[] _counts = new long[FineBuckets + CoarseBuckets + 1];
    private long _max;

    public void Add(long microseconds)
    {
        int bucket = microseconds < FineBuckets ? (int)microseconds
            : (int)Math.Min(FineBuckets + ((microseconds - FineBuckets) / 100), FineBuckets + CoarseBuckets);
        Interlocked.Increment(ref _counts[bucket]);
        long max;
        while (microseconds > (max = Volatile.Read(ref _max)) && Interlocked.CompareExchange(ref _max, microseconds, max) != max)
        {
        }
    }

    public double MaxMs => Volatile.Read(ref _max) / 1000.0;

    /// <summary>The non-empty buckets as [lower bound in µs, count] pairs, so histograms of several processes can be merged.</summary>
    public long[][] Buckets()
    {
        var buckets = new List<long[]>();
        for (int i = 0; i < _counts.Length; i++)
        {
            long c = Volatile.Read(ref _counts[i]);
            if (c > 0)
            {
                buckets.Add([i < FineBuckets ? i : FineBuckets + ((long)(i - FineBuckets) * 100), c]);
            }
        }

        return [.. buckets];
    }

    public double PercentileMs(double p)
    {
        long total = 0;
        foreach (long c in _counts)
        {
            total += c;
        }

        if (total == 0)
        {
            return 0;
        }

        long rank = (long)Math.Ceiling(total * p / 100.0);
        long seen = 0;
        for (int i = 0; i < _counts.Length; i++)
        {
            seen += _counts[i];
            if (seen >= rank)
            {
                long us = i < FineBuckets ? i : FineBuckets + ((long)(i - FineBuckets) * 100);
                return us / 1000.0;
            }
        }

        return MaxMs;
    }
}
