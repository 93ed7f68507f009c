using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace SwooleGateway.Hosting;

/// <summary>What a <see cref="MemoryTrimmer"/> watches: clients that came or went since start, clients now, the threshold now.</summary>
internal readonly record struct ChurnSource(Func<long> Churn, Func<int> Clients, Func<int> Threshold);

/// <summary>
/// Returns to the operating system the memory that a storm of connects or disconnects left behind, in a gateway or a
/// worker (each role has one, watching its own clients).
/// <para>
/// Every handshake leaves a few kilobytes of garbage in the gateway (the upgrade request, its headers, the connect event)
/// and about a kilobyte in the worker (the connect event, its headers and query); every client that leaves frees its
/// objects. The runtime collects garbage when new allocations have used up its budget, and that budget is sized from the
/// CPU's cache (on machines that report a large L3, over 100 MB). Idle clients and the message paths allocate nothing,
/// so after a storm (a restart that reconnects every device, a deploy that moves them) nothing ever fills the budget
/// again, and the garbage stays resident: measured, a gateway holding 15,000 idle WebSocket clients kept 6.7 KB per
/// connection, of which 2.2 KB were live objects, and a worker kept 1.25 KB per client, of which about 0.3 KB live.
/// </para>
/// <para>
/// So once at least the threshold of clients (<c>TrimMemoryAfterChurn</c>; and at least a tenth of the clients now
/// connected) joined or left since the last trim, and then none joined or left for <see cref="QuietPeriod"/> plus this
/// trimmer's <see cref="Stagger"/>, it runs one blocking, compacting collection that also releases the freed memory
/// (<see cref="GCCollectionMode.Aggressive"/>), at most once per <see cref="MinInterval"/>. Its pause grows with the heap
/// (about 70 ms for 15,000 clients on a 2-core machine); it comes when the storm is over, never during one, and never in
/// a process whose clients stay connected. Logged and counted (the callback given).
/// </para>
/// <para>
/// Several gateways on one machine see the same storm (a fleet of devices reconnecting spreads over all of them) and
/// would trim at the same moment, each collection then slowed by the others: six gateways of 16,667 clients on 2 cores
/// paused 0.26–1.3 s each, against about 0.1 s alone. So each trimmer waits a random extra 0 to <see cref="MaxStagger"/>,
/// drawn once when it starts. Roles that share a process (the embedded all-in-one host) see the same storm too: a trim
/// that ran in the process after a trimmer's churn settled counts as that trimmer's own, so the process collects once.
/// </para>
/// </summary>
internal sealed partial class MemoryTrimmer(ChurnSource source, Action trimmed, ILogger logger, string section, TimeSpan? stagger = null)
{
    public static readonly TimeSpan QuietPeriod = TimeSpan.FromSeconds(2);

    /// <summary>The largest extra quiet time a trimmer waits before it trims (its <see cref="Stagger"/> is drawn below it).</summary>
    public static readonly TimeSpan MaxStagger = TimeSpan.FromSeconds(3);

    public static readonly TimeSpan MinInterval = TimeSpan.FromSeconds(30);

    /// <summary>"Never" on the <see cref="Environment.TickCount64"/> clock.</summary>
    public const long Never = long.MinValue / 2;

    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(500);

    private static long s_processTrimmedAt = Never; // when any trimmer of this process last collected

    private long _trimmedAt = Never; // when this trimmer's churn was last trimmed (ms, Environment.TickCount64)
    private long _churnAtTrim; // the churn counter then
    private long _lastChurn; // the churn counter at the last look
    private long _lastChange = Never; // when it last moved
    private readonly long _quietMs = (long)(QuietPeriod + (stagger ?? TimeSpan.FromMilliseconds(Random.Shared.Next((int)MaxStagger.TotalMilliseconds)))).TotalMilliseconds;

    /// <summary>This trimmer's extra quiet time before a trim (random below <see cref="MaxStagger"/> unless given).</summary>
    public TimeSpan Stagger => TimeSpan.FromMilliseconds(_quietMs) - QuietPeriod;

    public async Task RunAsync(CancellationToken stopping)
    {
        _churnAtTrim = _lastChurn = source.Churn();
        try
        {
            while (true)
            {
                await Task.Delay(Tick, stopping).ConfigureAwait(false);
                if (Decide(Environment.TickCount64, source.Churn(), source.Clients(), source.Threshold(), Volatile.Read(ref s_processTrimmedAt)))
                {
                    Trim();
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>
    /// One look at the churn counter: true when a trim is due now (and it is then counted as done). Separate from the
    /// collection so the rule can be tested with any clock. <paramref name="processTrimmedAt"/> is when another trimmer of
    /// this process last collected.
    /// </summary>
    internal bool Decide(long now, long churn, int connections, int threshold, long processTrimmedAt = Never)
    {
        if (churn != _lastChurn)
        {
            _lastChurn = churn;
            _lastChange = now;
            return false;
        }

        if (churn != _churnAtTrim && processTrimmedAt > _trimmedAt && processTrimmedAt >= _lastChange)
        {
            // Another role in this process collected after this churn settled: that collection covered it.
            _churnAtTrim = churn;
            _trimmedAt = processTrimmedAt;
            return false;
        }

        long since = churn - _churnAtTrim;
        if (threshold <= 0 || since < threshold || since < connections / 10
            || now - _lastChange < _quietMs || now - _trimmedAt < (long)MinInterval.TotalMilliseconds)
        {
            return false;
        }

        _churnAtTrim = churn;
        _trimmedAt = now;
        return true;
    }

    private void Trim()
    {
        long before = Environment.WorkingSet;
        var clock = Stopwatch.StartNew();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        clock.Stop();
        Volatile.Write(ref s_processTrimmedAt, Environment.TickCount64);
        long after = Environment.WorkingSet;
        trimmed();
        Log.Trimmed(logger, (before - after) / 1048576.0, after / 1048576.0, clock.Elapsed.TotalMilliseconds, source.Clients(), section);
    }

    private static partial class Log
    {
        [LoggerMessage(3032, LogLevel.Information, "Clients connected or left in numbers, then settled: one compacting collection returned {FreedMiB:0.0} MiB to the OS (now {ResidentMiB:0.0} MiB resident for {Clients} clients; {PauseMs:0} ms pause). {Section}:TrimMemoryAfterChurn=0 turns this off", EventName = "MemoryTrimmed")]
        public static partial void Trimmed(ILogger logger, double freedMiB, double residentMiB, double pauseMs, int clients, string section);
    }
}
