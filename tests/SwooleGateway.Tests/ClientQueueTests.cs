using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging.Abstractions;
using SwooleGateway.Protocol;
using SwooleGateway.Tests.Infrastructure;
using SwooleGateway.Tests.Protocol;
using SwooleGateway.Worker;
using SwooleGateway.Worker.Execution;

namespace SwooleGateway.Tests;

/// <summary>
/// A worker's per-client event queue (<see cref="ClientState"/>, lock-free: the link's read loop pushes, the client's turn
/// takes) with the real <see cref="HandlerScheduler"/>, fed the way a link's read loop feeds it: each client's events run
/// one at a time, in order, none lost or run twice, while clients keep going idle and waking up; and the events a
/// closed link left queued are dropped (counted), not run.
/// </summary>
public class ClientQueueTests
{
    [Test]
    public async Task Events_of_each_client_run_once_in_order_while_clients_go_idle_and_wake_up()
    {
        const int Clients = 8;
        const int Total = 50_000;
        await using Rig rig = await Rig.CreateAsync(maxConcurrentHandlers: 4);
        ClientState[] clients = [.. Enumerable.Range(0, Clients).Select(i => new ClientState($"c{i}", rig.Acks, rig.Scheduler))];
        int[] next = new int[Clients];

        // The read loop on a thread of its own, as fast as it goes: most "reads" carry one event, so clients keep running
        // dry and going idle on the pool while the next event for them is being pushed.
        await Task.Factory.StartNew(() =>
        {
            var random = new Random(9);
            ulong sequence = 0;
            int sent = 0;
            while (sent < Total)
            {
                // One read of the link: a few events of a few clients, then its batch runs (as LinkEvents does).
                Batch? batch = null;
                int inRead = random.Next(4) == 0 ? random.Next(2, 33) : 1;
                for (int i = 0; i < inRead && sent < Total; i++, sent++)
                {
                    int c = random.Next(Clients);
                    rig.Scheduler.Enqueue(clients[c], rig.Event(++sequence, next[c]++), ref batch);
                }

                if (batch is not null)
                {
                    rig.Scheduler.Run(batch);
                }

                Thread.SpinWait(random.Next(200)); // uneven gaps between reads
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).DefaultTimeout();

        await rig.Handler.WaitForAsync(Total);
        await rig.WaitIdleAsync();
        for (int c = 0; c < Clients; c++)
        {
            Assert.That(rig.Handler.Seen($"c{c}"), Is.EqualTo(Enumerable.Range(0, next[c])), $"client c{c}: every event once, in order");
        }

        Assert.That(rig.Handler.MaxConcurrent, Is.LessThanOrEqualTo(4), "never more clients at once than MaxConcurrentHandlers");
    }

    [Test]
    public async Task Events_queued_when_the_link_closes_are_dropped_and_counted_not_run()
    {
        await using Rig rig = await Rig.CreateAsync(maxConcurrentHandlers: 1);
        var holder = new ClientState("holder", rig.Acks, rig.Scheduler);
        var waiting = new ClientState("waiting", rig.Acks, rig.Scheduler);
        long abandoned = 0;
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument == rig.Metrics.EventsAbandoned)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref abandoned, value));
        listener.Start();

        // "holder" takes the only slot and keeps it (its handler awaits); "waiting" gets five events and waits for the slot.
        rig.Handler.Hold("holder");
        Batch? batch = null;
        Assert.That(rig.Scheduler.Enqueue(holder, rig.Event(1, 0), ref batch), Is.True);
        for (int i = 0; i < 5; i++)
        {
            rig.Scheduler.Enqueue(waiting, rig.Event((ulong)i + 2, i), ref batch);
        }

        rig.Scheduler.Run(batch!);
        await TimeoutExtensions.WaitUntil(() => rig.Handler.Seen("holder").Length == 1, "the first client's handler runs");
        await TimeoutExtensions.WaitUntil(() => rig.Scheduler.Waiting == 1, "the second client waits for the slot");

        waiting.Abandon(); // its link closed
        Assert.That(waiting.Enqueue(rig.Event(9, 5)), Is.False, "nothing is queued after the link closed");
        rig.Handler.Release("holder");
        await rig.WaitIdleAsync();

        Assert.That(rig.Handler.Seen("waiting"), Is.Empty, "no event of the closed link ran");
        Assert.That(Interlocked.Read(ref abandoned), Is.EqualTo(5), "the five queued events are counted as abandoned");
        Assert.That(rig.Handler.Seen("holder"), Is.EqualTo(new[] { 0 }));
    }

    [Test]
    public async Task A_batch_of_handlers_that_each_block_a_little_hands_the_rest_to_the_pool_after_its_slice()
    {
        // 30 clients woken by one read, each handler a 5 ms synchronous call: too short for the guard (10 ms) to see, so
        // only the batch's own slice keeps them from running one after another on the reading thread (150 ms).
        const int Clients = 30;
        await using Rig rig = await Rig.CreateAsync(maxConcurrentHandlers: 64);
        rig.Handler.BlockMs = 5;
        Batch? batch = null;
        for (int c = 0; c < Clients; c++)
        {
            rig.Scheduler.Enqueue(new ClientState($"c{c}", rig.Acks, rig.Scheduler), rig.Event((ulong)c + 1, 0), ref batch);
        }

        int reader = 0;
        await Task.Factory.StartNew(() =>
        {
            reader = Environment.CurrentManagedThreadId;
            batch!.Execute(); // as LinkEvents.OnIdle runs it on the thread that read it
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).DefaultTimeout();

        await rig.Handler.WaitForAsync(Clients);
        await rig.WaitIdleAsync();
        int onReader = Enumerable.Range(0, Clients).Count(c => rig.Handler.ThreadOf($"c{c}") == reader);
        TestContext.Out.WriteLine($"{onReader} of {Clients} ran on the reading thread; at most {rig.Handler.MaxConcurrent} at once");
        Assert.That(onReader, Is.InRange(1, 3), $"the batch ran its first clients, then its slice ({Batch.SliceMs} ms on a coarse clock) was over");
    }

    /// <summary>A scheduler, an acknowledger on an in-memory link whose far end discards, and the recording handler.</summary>
    private sealed class Rig : IAsyncDisposable
    {
        private readonly LinkPair _link;

        private Rig(LinkPair link, int maxConcurrentHandlers)
        {
            _link = link;
            Metrics = new WorkerMetrics(null);
            Scheduler = new HandlerScheduler(Handler, new WorkerOptions { MaxConcurrentHandlers = maxConcurrentHandlers }, NullLogger.Instance,
                _ => ValueTask.CompletedTask, Metrics);
            Acks = new Acknowledger(link.Near);
        }

        public SequenceHandler Handler { get; } = new();

        public WorkerMetrics Metrics { get; }

        public HandlerScheduler Scheduler { get; }

        public Acknowledger Acks { get; }

        public static async Task<Rig> CreateAsync(int maxConcurrentHandlers)
        {
            LinkPair link = await LinkPair.CreateAsync(nearAccepts: false);
            link.Run(link.Far, new IgnoreFrames());
            return new Rig(link, maxConcurrentHandlers);
        }

        /// <summary>A client message whose payload is <paramref name="number"/> (its place among its client's events).</summary>
        public EventItem Event(ulong sequence, int number)
        {
            EventItem item = EventItem.Rent();
            item.Kind = MessageKind.ClientMessage;
            item.Sequence = sequence;
            item.Flags = EventFlags.None;
            BinaryPrimitives.WriteInt32LittleEndian(item.PayloadFor(4), number);
            item.Length = 4;
            return item;
        }

        public Task WaitIdleAsync() => TimeoutExtensions.WaitUntil(() => Scheduler.Active == 0, "no client has events");

        public ValueTask DisposeAsync() => _link.DisposeAsync();
    }

    /// <summary>Records each client's event numbers; awaits now and then (the slow path); can hold a client's handler.</summary>
    private sealed class SequenceHandler : GatewayEventHandler
    {
        private readonly ConcurrentDictionary<string, List<int>> _seen = new();
        private readonly ConcurrentDictionary<string, TaskCompletionSource> _held = new();
        private readonly SemaphoreSlim _handled = new(0);
        private readonly ConcurrentDictionary<string, int> _threads = new();
        private int _running;
        private int _maxConcurrent;

        public int MaxConcurrent => Volatile.Read(ref _maxConcurrent);

        /// <summary>When set, each handler first blocks its thread this long (a synchronous call).</summary>
        public int BlockMs { get; set; }

        /// <summary>The thread that last ran a handler of <paramref name="clientId"/>.</summary>
        public int ThreadOf(string clientId) => _threads.TryGetValue(clientId, out int thread) ? thread : 0;

        public void Hold(string clientId) => _held[clientId] = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Release(string clientId) => _held[clientId].SetResult();

        public int[] Seen(string clientId)
        {
            List<int> list = _seen.GetOrAdd(clientId, _ => []);
            lock (list)
            {
                return [.. list];
            }
        }

        public async Task WaitForAsync(int count)
        {
            for (int i = 0; i < count; i++)
            {
                Assert.That(await _handled.WaitAsync(TimeSpan.FromSeconds(30)), Is.True, $"only {i} of {count} events were handled within 30 s");
            }
        }

        public override async ValueTask OnMessage(string clientId, IReadOnlyDictionary<string, object?>? session, ReadOnlyMemory<byte> payload)
        {
            int running = Interlocked.Increment(ref _running);
            int max;
            while (running > (max = Volatile.Read(ref _maxConcurrent)) && Interlocked.CompareExchange(ref _maxConcurrent, running, max) != max)
            {
            }

            _threads[clientId] = Environment.CurrentManagedThreadId;
            if (BlockMs > 0)
            {
                Thread.Sleep(BlockMs);
            }

            int number = BinaryPrimitives.ReadInt32LittleEndian(payload.Span);
            List<int> list = _seen.GetOrAdd(clientId, _ => []);
            lock (list)
            {
                list.Add(number);
            }

            if (_held.TryGetValue(clientId, out TaskCompletionSource? gate))
            {
                await gate.Task;
            }
            else if (number % 7 == 3)
            {
                await Task.Yield(); // the handler awaits: the client keeps its slot, its queue resumes on the pool
            }

            Interlocked.Decrement(ref _running);
            _handled.Release();
        }
    }
}
