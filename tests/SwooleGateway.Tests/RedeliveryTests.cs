using Microsoft.Extensions.DependencyInjection;
using SwooleGateway.Tests.Infrastructure;
using SwooleGateway.Worker;

namespace SwooleGateway.Tests;

/// <summary>
/// At-least-once delivery to handlers: the events a worker did not acknowledge before its link died go, in each client's
/// order and flagged as redelivered, to the worker that takes the client over; close events too; a draining worker's
/// clients move on as soon as their own events are done; a worker that falls behind pauses its clients' reads.
/// </summary>
[TestFixture]
[NonParallelizable]
[CancelAfter(60_000)]
public sealed class RedeliveryTests
{
    private TestCluster _cluster = null!;
    private readonly List<WsTestClient> _sockets = [];

    [SetUp]
    public void SetUp() => ProbeHandler.Reset();

    [TearDown]
    public async Task TearDown()
    {
        foreach (WsTestClient socket in _sockets)
        {
            await socket.DisposeAsync();
        }

        _sockets.Clear();
        await _cluster.DisposeAsync();
    }

    private async Task Start(int workers, Dictionary<string, string?>? gatewaySettings = null)
    {
        _cluster = await TestCluster.StartAsync<ProbeHandler>(workers: workers, gatewaySettings: gatewaySettings);
        for (int i = 0; i < _cluster.Workers.Count; i++)
        {
            _cluster.Workers[i].Host.Services.GetRequiredService<ProbeHandler>().WorkerName = "w" + (i + 1);
        }
    }

    private async Task<(WsTestClient Socket, string Id)> Connect()
    {
        WsTestClient socket = await WsTestClient.ConnectAsync(_cluster.WebSocketEndPoint);
        _sockets.Add(socket);
        await socket.SendAsync("me");
        string id = (await socket.ReceiveAsync())!["me:".Length..];
        return (socket, id);
    }

    private static string WorkerOf(string clientId) => ProbeHandler.Handled.Last(h => h.ClientId == clientId).Worker;

    private WorkerService Worker(string name) => _cluster.Workers[int.Parse(name[1..], System.Globalization.CultureInfo.InvariantCulture) - 1].Service;

    [Test]
    public async Task Unacknowledged_events_of_a_cut_worker_are_redelivered_in_each_clients_order()
    {
        await Start(workers: 2);
        const int Clients = 10;
        const int Messages = 60;
        var clients = new List<(WsTestClient Socket, string Id)>();
        for (int i = 0; i < Clients; i++)
        {
            clients.Add(await Connect()); // round-robin: some on each worker
        }

        string cut = WorkerOf(clients[0].Id);
        var answers = new List<string>[Clients];
        Task[] streams = [.. clients.Select((client, c) => Task.Run(async () =>
        {
            answers[c] = [];
            Task sending = Task.Run(async () =>
            {
                for (int m = 0; m < Messages; m++)
                {
                    // Every fifth message takes a while, so that the cut finds events in flight.
                    await client.Socket.SendAsync(m % 5 == 0 ? $"delay:30:{c}:{m}" : $"echo:{c}:{m}");
                }
            });
            var distinct = new HashSet<string>();
            while (distinct.Count < Messages)
            {
                string answer = (await client.Socket.ReceiveAsync())!;
                answers[c].Add(answer);
                distinct.Add(answer);
            }

            await sending;
        }))];

        await TimeoutExtensions.WaitUntil(() => ProbeHandler.Finished.Count(f => f.Worker == cut) >= 40, "the doomed worker to be mid-stream");
        Assert.That(_cluster.CutWorkerLinks(Worker(cut).NodeId), Is.EqualTo(1));
        await Task.WhenAll(streams).WaitAsync(TimeSpan.FromSeconds(30));

        await _cluster.Logs.WaitFor("redelivering them, in order");
        var redelivered = ProbeHandler.Handled.Where(h => h.Redelivered).Select(h => (h.ClientId, h.Event)).ToHashSet();
        Assert.That(redelivered, Is.Not.Empty, "the cut found events in flight and they came again, flagged");
        for (int c = 0; c < Clients; c++)
        {
            // First occurrences in the client's order; a repeat only for an event a handler saw flagged as redelivered.
            List<string> firsts = answers[c].Distinct().ToList();
            Assert.That(firsts, Is.EqualTo(Enumerable.Range(0, Messages).Select(m => m % 5 == 0 ? $"{c}:{m}" : $"echo:{c}:{m}")),
                $"client {c}: every answer, in order");
            foreach (string repeat in answers[c].GroupBy(a => a).Where(g => g.Count() > 1).Select(g => g.Key))
            {
                string sent = repeat.StartsWith("echo:", StringComparison.Ordinal) ? repeat : "delay:30:" + repeat;
                Assert.That(redelivered, Does.Contain((clients[c].Id, sent)), $"client {c}: '{repeat}' came twice, so it was redelivered");
            }

            // Each message keeps its number on the connection when redelivered: "me" was 1, the stream 2 to 61.
            var numbers = ProbeHandler.Numbers.Where(n => n.ClientId == clients[c].Id).GroupBy(n => n.Event).ToList();
            Assert.That(numbers.Select(g => g.Select(n => n.Number).Distinct().Count()), Has.All.EqualTo(1), $"client {c}: one number per message");
            Assert.That(numbers.Select(g => g.First().Number).Order(), Is.EqualTo(Enumerable.Range(1, Messages + 1).Select(i => (ulong)i)),
                $"client {c}: messages numbered 1, 2, ... in the order sent");
        }

        Assert.That(ProbeHandler.Numbers.Any(n => n.Redelivered), Is.True);
    }

    /// <summary>
    /// A "poison" event: whichever worker runs it goes away before finishing it (here its link is cut while the handler
    /// runs, as a crash would). Without a bound it would be redelivered to every worker in turn, and again after each
    /// restart; at MaxWorkerLossesPerEvent (3) it is dropped, logged with its client, and the client's next event runs.
    /// </summary>
    [Test]
    public async Task An_event_that_every_worker_running_it_loses_is_dropped_after_three_losses_and_its_client_goes_on()
    {
        await Start(workers: 3);
        (WsTestClient socket, string id) = await Connect();
        (WsTestClient other, _) = await Connect();
        const string Poison = "wait:5000";
        await socket.SendAsync(Poison);
        const string Next = "delay:500:after";
        await socket.SendAsync(Next); // behind it: not started while the poison ran, so those losses are not its own
        for (int loss = 1; loss <= 3; loss++)
        {
            await CutTheWorkerRunning(id, Poison, run: loss);
        }

        await _cluster.Logs.WaitFor($"Dropped the message event of client {id} instead of redelivering it: 3 workers");

        // The next event runs now; its worker going away once more is its first loss: it is redelivered, not dropped.
        await CutTheWorkerRunning(id, Next, run: 1);
        await TimeoutExtensions.WaitUntil(() => ProbeHandler.Handled.Count(h => h.ClientId == id && h.Event == Next) == 2,
            "the next event to run again after its one loss (once a worker has reconnected: each cut worker reconnects)");
        Assert.That(await socket.ReceiveAsync(), Is.EqualTo("after"), "its client goes on");
        Assert.That(ProbeHandler.Handled.Where(h => h.ClientId == id && h.Event == Poison).Select(r => r.Redelivered), Is.EqualTo(new[] { false, true, true }),
            "the poison ran three times, then was dropped");
        Assert.That(ProbeHandler.Handled.Where(h => h.ClientId == id && h.Event == Next).Select(r => r.Redelivered), Is.EqualTo(new[] { true, true }),
            "flagged both times: it had been redelivered with the poison before it first ran");
        await other.SendAsync("echo:unaffected");
        Assert.That(await other.ReceiveAsync(), Is.EqualTo("echo:unaffected"));
    }

    /// <summary>Waits for run <paramref name="run"/> of a client's event to start, then cuts the links of the worker running it.</summary>
    private async Task CutTheWorkerRunning(string clientId, string evt, int run)
    {
        await TimeoutExtensions.WaitUntil(() => ProbeHandler.Handled.Count(h => h.ClientId == clientId && h.Event == evt) == run, $"run {run} of '{evt}'");
        string runner = ProbeHandler.Handled.Last(h => h.ClientId == clientId && h.Event == evt).Worker;
        Assert.That(_cluster.CutWorkerLinks(Worker(runner).NodeId), Is.EqualTo(1), "the worker running it goes away");
    }

    [Test]
    public async Task A_client_that_closes_while_its_worker_is_cut_off_gets_exactly_one_unflagged_OnClose_and_no_worker_keeps_its_state()
    {
        await Start(workers: 2);
        (WsTestClient socket, string id) = await Connect();
        string home = WorkerOf(id);

        await socket.SendAsync("delay:1500:late");
        await TimeoutExtensions.WaitUntil(() => ProbeHandler.Handled.Any(h => h.ClientId == id && h.Event == "delay:1500:late"), "the slow event to start");
        Assert.That(_cluster.CutWorkerLinks(Worker(home).NodeId), Is.EqualTo(1));
        await socket.DisposeAsync();
        _sockets.Remove(socket);

        // The slow event was not acknowledged: it comes again, flagged, and the close follows it, unflagged, exactly once.
        await TimeoutExtensions.WaitUntil(() => ProbeHandler.Handled.Any(h => h.ClientId == id && h.Event == "close"), "the close event");
        await TimeoutExtensions.WaitUntil(() => ProbeHandler.Finished.Count(f => f.ClientId == id && f.Event == "delay:1500:late") == 2,
            "the original and the redelivered slow handler to finish");
        var events = ProbeHandler.Handled.Where(h => h.ClientId == id).ToList();
        Assert.That(events.Count(h => h.Event == "close"), Is.EqualTo(1), "exactly one OnClose");
        Assert.That(events.Single(h => h.Event == "close").Redelivered, Is.False);
        Assert.That(events.Count(h => h.Event == "delay:1500:late" && h.Redelivered), Is.EqualTo(1), "the unacknowledged event came again, flagged");
        var redeliveredAt = events.FindIndex(h => h.Event == "delay:1500:late" && h.Redelivered);
        Assert.That(events.FindIndex(h => h.Event == "close"), Is.GreaterThan(redeliveredAt), "the close after the client's earlier event");

        await TimeoutExtensions.WaitUntil(() => _cluster.Workers.All(w => w.Service.KnownClients == 0 && w.Service.ActiveClients == 0),
            "both workers to forget the client");
    }

    [Test]
    public async Task A_draining_workers_idle_clients_move_on_at_once_while_a_busy_one_finishes()
    {
        await Start(workers: 2);
        var clients = new List<(WsTestClient Socket, string Id)>();
        for (int i = 0; i < 4; i++)
        {
            clients.Add(await Connect());
        }

        string leaving = WorkerOf(clients[0].Id);
        (WsTestClient busy, _) = clients[0];
        (WsTestClient idle, _) = clients.First(c => c.Id != clients[0].Id && WorkerOf(c.Id) == leaving);

        await busy.SendAsync("delay:3000:busy-done");
        await TimeoutExtensions.WaitUntil(() => ProbeHandler.Running == 1, "the busy handler to run");
        Task stopping = _cluster.StopAsync(_cluster.Workers[int.Parse(leaving[1..], System.Globalization.CultureInfo.InvariantCulture) - 1].Host);
        await _cluster.Logs.WaitFor("is draining");

        var clock = System.Diagnostics.Stopwatch.StartNew();
        await idle.SendAsync("echo:moved");
        Assert.That(await idle.ReceiveAsync(), Is.EqualTo("echo:moved"));
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(1)), "an idle client of the draining worker does not wait for its busy one");
        Assert.That(WorkerOf(clients.First(c => c.Socket == idle).Id), Is.Not.EqualTo(leaving));

        await busy.SendAsync("echo:after-busy"); // held until the busy event is acknowledged, then goes to the other worker
        Assert.That(await busy.ReceiveAsync(), Is.EqualTo("busy-done"));
        Assert.That(await busy.ReceiveAsync(), Is.EqualTo("echo:after-busy"));
        await stopping.WaitAsync(TimeSpan.FromSeconds(15));
        Assert.That(ProbeHandler.Handled.Any(h => h.Redelivered), Is.False, "a graceful stop redelivers nothing");
    }

    [Test]
    public async Task A_worker_that_falls_behind_pauses_its_clients_reads_and_loses_nothing()
    {
        await Start(workers: 1, gatewaySettings: new() { ["SwooleGateway:Gateway:MaxUnackedEventsPerWorker"] = "8" });
        (WsTestClient socket, _) = await Connect();
        const int Messages = 60;
        for (int m = 0; m < Messages; m++)
        {
            await socket.SendAsync($"delay:5:{m}");
        }

        for (int m = 0; m < Messages; m++)
        {
            Assert.That(await socket.ReceiveAsync(), Is.EqualTo($"{m}"));
        }

        await _cluster.Logs.WaitFor("its clients' reads pause until it catches up");
        Assert.That(_cluster.Gateway.Unacknowledged, Is.EqualTo(0));
    }

    [Test]
    public async Task A_client_whose_handler_is_stuck_pauses_only_its_own_reads()
    {
        // Without a bound per client, its events would fill the worker's window (32) and pause every client of the worker.
        await Start(workers: 1, gatewaySettings: new()
        {
            ["SwooleGateway:Gateway:MaxUnackedEventsPerWorker"] = "32",
            ["SwooleGateway:Gateway:MaxUnackedEventsPerClient"] = "8",
        });
        (WsTestClient stuck, string stuckId) = await Connect();
        (WsTestClient other, _) = await Connect();

        await stuck.SendAsync("wait:4000"); // its handler awaits 4 s; its next events queue behind it, unacknowledged
        await PacedSends.SendEchoes(stuck.SendAsync, total: 40, paced: 7, () => _cluster.Gateway.Unacknowledged, from: 1, "events of the stuck client in flight");

        await _cluster.Logs.WaitFor($"Client {stuckId} has 8 events no handler has finished");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (int i = 0; i < 3; i++) // a full worker window would let the first through, then pause this client's reads
        {
            await other.SendAsync($"echo:other{i}");
            Assert.That(await other.ReceiveAsync(), Is.EqualTo($"echo:other{i}"));
        }

        TestContext.Out.WriteLine($"another client of the worker had 3 echoes answered in {clock.Elapsed.TotalMilliseconds:0} ms while one client's handler is stuck");
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(2)), "the other client is not held up by the stuck one (its handler is stuck for 4 s)");
        Assert.That(_cluster.Gateway.Unacknowledged, Is.LessThanOrEqualTo(9), "the stuck client's reads paused at its bound");

        Assert.That(await stuck.ReceiveAsync(), Is.EqualTo("waited:4000"));
        for (int m = 0; m < 40; m++)
        {
            Assert.That(await stuck.ReceiveAsync(), Is.EqualTo($"echo:{m}"), "the stuck client loses nothing once its handler goes on");
        }
    }
}
