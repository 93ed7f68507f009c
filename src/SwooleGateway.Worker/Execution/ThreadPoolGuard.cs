using Microsoft.Extensions.Logging;

namespace SwooleGateway.Worker.Execution;

/// <summary>
/// Keeps the thread pool responsive while handlers block. The pool adds threads slowly (about one every half second once
/// its minimum is in use), so twenty handlers blocked in <c>Thread.Sleep</c> or a synchronous database call would starve
/// the links, heartbeats, replies and every other client's handlers for seconds. This guard, on a dedicated thread of its
/// own, looks every 25 ms at what each handler thread is doing (<see cref="HandlerThreads"/>): a handler whose call has
/// not returned for 10 ms is blocking its thread, so the clients after it in its batch move to work items of their own
/// and the answers the batch has so far are flushed, and the pool's minimum is raised by one per blocked handler (below
/// its minimum the pool creates a thread at once when work waits), kept for a second after the most seen at once; while
/// work waits in the pool as well, it adds as many again per tick (many clients each blocking a few milliseconds). Blocking
/// it cannot see (a handler that blocks after an await) shows as a pool that does not drain its queue while the process
/// idles: it adds a thread per waiting item; and when a probe work item sits unserved for 100 ms it doubles the extra.
/// It lowers the minimum again once the blocking stops (the extra halves every healthy second), never below what it
/// found. One per process, shared by every worker in it. It also runs the slow-handler warnings, which must not depend
/// on the pool either.
/// </summary>
internal static partial class ThreadPoolGuard
{
    private const int TickMs = 25;
    private const long BlockedAfterMs = 10;
    private const long HoldMs = 1000;
    private const long StarvedAfterMs = 100;

    private static readonly Lock s_gate = new();
    private static readonly List<HandlerScheduler> s_schedulers = [];
    private static readonly Probe s_probe = new();
    private static ManualResetEventSlim? s_stop;
    private static ILogger? s_logger;
    private static int s_baseMin;
    private static int s_ioMin;
    private static int s_current;
    private static int s_boost;
    private static long s_healthySince;
    private static int s_held; // the most handlers seen blocking at once in the last HoldMs
    private static long s_heldSince;
    private static long s_pendingBefore; // work items waiting in the pool at the last tick
    private static long s_completedBefore; // work items the pool had completed then
    private static TimeSpan s_cpuBefore; // the process's CPU time then
    private static long s_cpuAt;

    /// <summary>The pool's minimum worker threads as the guard set it last (for tests and diagnostics).</summary>
    public static int CurrentMinimum => Volatile.Read(ref s_current);

    public static void Register(HandlerScheduler scheduler, ILogger logger)
    {
        lock (s_gate)
        {
            s_schedulers.Add(scheduler);
            if (s_stop is not null)
            {
                return;
            }

            s_logger = logger;
            ThreadPool.GetMinThreads(out s_baseMin, out s_ioMin);
            s_current = s_baseMin;
            s_boost = 0;
            s_held = 0;
            s_pendingBefore = 0; // the first look only records what the pool has done so far
            s_completedBefore = ThreadPool.CompletedWorkItemCount;
            s_cpuBefore = Environment.CpuUsage.TotalTime;
            s_cpuAt = Environment.TickCount64;
            var stop = new ManualResetEventSlim(false, spinCount: 0); // it waits a tick at a time: spinning first would only burn CPU
            s_stop = stop;
            new Thread(() => Run(stop)) { IsBackground = true, Name = "SwooleGateway thread-pool guard" }.Start();
        }
    }

    public static void Unregister(HandlerScheduler scheduler)
    {
        lock (s_gate)
        {
            s_schedulers.Remove(scheduler);
            if (s_schedulers.Count > 0 || s_stop is null)
            {
                return;
            }

            s_stop.Set();
            s_stop = null;
            if (s_current != s_baseMin)
            {
                ThreadPool.SetMinThreads(s_baseMin, s_ioMin);
                s_current = s_baseMin;
            }
        }
    }

    private static void Run(ManualResetEventSlim stop)
    {
        long nextSlowCheck = 0;
        while (!stop.Wait(TickMs))
        {
            long now = Environment.TickCount64;
            lock (s_gate)
            {
                if (stop.IsSet)
                {
                    return;
                }

                bool slowCheck = now >= nextSlowCheck;
                int blocked = 0;
                foreach (TurnRecord record in HandlerThreads.All)
                {
                    if (record.Client is not { } client)
                    {
                        continue;
                    }

                    long since = Volatile.Read(ref client.InvokingSince);
                    if (since != 0 && now - since >= BlockedAfterMs)
                    {
                        blocked++;
                        if (record.Batch is { } batch)
                        {
                            batch.SplitRest(record.BatchGeneration); // the clients after it need not wait for it
                        }

                        record.Scope.FlushAll(); // nor the answers of those before it
                    }

                    if (slowCheck)
                    {
                        client.Scheduler.WarnIfSlow(client, now);
                    }
                }

                int slots = 0;
                foreach (HandlerScheduler scheduler in s_schedulers)
                {
                    slots += scheduler.Slots;
                    if (slowCheck)
                    {
                        scheduler.WarnAboutSlowAwaits(now);
                    }
                }

                if (slowCheck)
                {
                    nextSlowCheck = now + 250;
                    HandlerThreads.Prune();
                }

                long pending = ThreadPool.PendingWorkItemCount;
                int stuck = NotDraining(pending, now) ? (int)Math.Min(pending, slots) : 0;
                Adjust(blocked, s_probe.Starved(now), stuck, blocked > 0 && pending > 0, slots, now);
            }
        }
    }

    /// <summary>
    /// The pool is not draining: work waited at the last tick, still waits, and the pool has not even completed that many
    /// items since, while the process used less than half of its cores: its threads are blocked, not busy (handlers that
    /// block after an await, which the handler records cannot show). Seen a tick after it starts, where the probe needs
    /// 100 ms. A busy pool completes thousands of items per tick, and a pool busy computing uses its cores: both are
    /// left alone.
    /// </summary>
    private static bool NotDraining(long pending, long now)
    {
        TimeSpan cpu = Environment.CpuUsage.TotalTime;
        long completed = ThreadPool.CompletedWorkItemCount;
        bool result = NotDraining(s_pendingBefore, pending, completed - s_completedBefore, (cpu - s_cpuBefore).TotalMilliseconds, now - s_cpuAt,
            Environment.ProcessorCount);
        s_pendingBefore = pending;
        s_completedBefore = completed;
        s_cpuBefore = cpu;
        s_cpuAt = now;
        return result;
    }

    /// <summary>The rule of <see cref="NotDraining(long, long)"/> on its inputs (for tests).</summary>
    internal static bool NotDraining(long pendingBefore, long pending, long completedSince, double cpuMs, long elapsedMs, int cores) =>
        pending > 0 && pendingBefore > 0 && completedSince < pendingBefore && elapsedMs > 0 && cpuMs < elapsedMs * cores / 2.0;

    private static void Adjust(int blocked, bool starved, int stuck, bool backlog, int slots, long now)
    {
        // Starved or stuck: blocking the count cannot see (handlers that block after an await). Stuck (the pool did not
        // drain what waited): a thread for each item waiting; starved (the probe waited 100 ms): double the extra threads,
        // at least the core count more. Backlog: work waits while handlers block, so the threads that pick it up will
        // likely block too (many clients, each a few milliseconds of synchronous calls): add as many again. Each tick it
        // lasts, so the pool grows geometrically while that lasts.
        int add = Math.Max(starved ? Math.Max(Environment.ProcessorCount, s_boost) : 0, stuck) + (backlog ? blocked : 0);
        if (add > 0)
        {
            s_boost = Math.Min(s_boost + add, slots);
            s_healthySince = now;
        }
        else if (s_boost > 0 && now - s_healthySince >= HoldMs)
        {
            s_boost /= 2; // each healthy second halves it
            s_healthySince = now;
        }

        // Handlers that block for a few milliseconds each come and go between ticks: the extra threads stay for a while
        // after the most seen at once, so the pool does not shrink and grow again (and log it) every tick.
        if (blocked >= s_held || now - s_heldSince >= HoldMs)
        {
            s_held = blocked;
            s_heldSince = now;
        }

        int target = Math.Min(s_baseMin + s_held + s_boost, s_baseMin + slots + Environment.ProcessorCount);
        if (target == s_current)
        {
            return;
        }

        if (s_current == s_baseMin && s_logger is not null)
        {
            Log.Raised(s_logger, blocked, target);
        }
        else if (target == s_baseMin && s_logger is not null)
        {
            Log.Restored(s_logger, target);
        }

        ThreadPool.SetMinThreads(target, s_ioMin);
        Volatile.Write(ref s_current, target);
    }

    /// <summary>A work item that records when the pool ran it: one outstanding at a time; unserved for long = starved.</summary>
    private sealed class Probe : IThreadPoolWorkItem
    {
        private long _queuedAt; // 0 = not queued

        public bool Starved(long now)
        {
            long queuedAt = Volatile.Read(ref _queuedAt);
            if (queuedAt == 0)
            {
                Volatile.Write(ref _queuedAt, now);
                ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
                return false;
            }

            return now - queuedAt >= StarvedAfterMs;
        }

        public void Execute() => Volatile.Write(ref _queuedAt, 0);
    }

    private static partial class Log
    {
        [LoggerMessage(4104, LogLevel.Information, "{Blocked} handlers are blocking threads (in one call for 10 ms or more; on a saturated machine a handler that waits for a core looks the same), or work waits in the thread pool while it does not drain: the thread pool's minimum is raised to {Threads} so that links, replies and other clients keep running (slow handlers are logged with their client id after HandlerWarningThreshold)", EventName = "ThreadPoolRaised")]
        public static partial void Raised(ILogger logger, int blocked, int threads);

        [LoggerMessage(4105, LogLevel.Information, "Handlers no longer block threads: the thread pool's minimum is back to {Threads}", EventName = "ThreadPoolRestored")]
        public static partial void Restored(ILogger logger, int threads);
    }
}
