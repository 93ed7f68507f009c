using System.Diagnostics;
using SwooleGateway.Tests.Infrastructure;

namespace SwooleGateway.Tests;

/// <summary>
/// The handler execution model: handlers never run on a link's read loop, a blocking handler holds up only its own
/// client, many blocking handlers do not starve the process, a throwing handler costs its client nothing but a log line,
/// and a client's events still run one at a time, in order.
/// </summary>
[TestFixture]
[NonParallelizable]
[CancelAfter(60_000)]
public sealed class HandlerExecutionTests
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
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
            _cluster = null!;
        }
    }

    private async Task Start(Dictionary<string, string?>? workerSettings = null) =>
        _cluster = await TestCluster.StartAsync<ProbeHandler>(workerSettings: workerSettings);

    private async Task<WsTestClient> Connect()
    {
        WsTestClient socket = await WsTestClient.ConnectAsync(_cluster.WebSocketEndPoint);
        _sockets.Add(socket);
        return socket;
    }

    [Test]
    public async Task A_handler_blocked_for_3_s_does_not_hold_up_another_client()
    {
        await Start();
        WsTestClient blocked = await Connect();
        WsTestClient other = await Connect();

        await blocked.SendAsync("sleep:3000");
        await blocked.SendAsync("echo:after-sleep"); // the same client's next event waits for the first
        await TimeoutExtensions.WaitUntil(() => Volatile.Read(ref ProbeHandler.Sleeping) == 1, "the handler to block");

        var clock = Stopwatch.StartNew();
        await other.SendAsync("echo:other");
        Assert.That(await other.ReceiveAsync(), Is.EqualTo("echo:other"));
        TestContext.Out.WriteLine($"another client's echo answered after {clock.Elapsed.TotalMilliseconds:0} ms while one handler blocks");
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(0.5)), "another client's echo through the same worker");

        Assert.That(await blocked.ReceiveAsync(), Is.EqualTo("slept:3000"));
        Assert.That(await blocked.ReceiveAsync(), Is.EqualTo("echo:after-sleep"), "the blocked client's events stay in order");
    }

    [Test]
    public async Task Twenty_handlers_blocked_for_1_s_leave_a_fresh_echo_fast()
    {
        await Start();
        await FreshEchoWhileTwentyBlock("sleep:1000", "20 handlers block", TimeSpan.FromSeconds(1.5));
        Assert.That(ProbeHandler.MaxRunning, Is.GreaterThanOrEqualTo(10));
    }

    /// <summary>
    /// Twenty clients send <paramref name="command"/> (a handler that blocks 1 s), then a fresh client's echo must answer
    /// within <paramref name="bound"/>, and all twenty within 6 s (one after another they would take 20 s).
    /// </summary>
    private async Task FreshEchoWhileTwentyBlock(string command, string what, TimeSpan bound)
    {
        var sleepers = new List<WsTestClient>();
        for (int i = 0; i < 20; i++)
        {
            sleepers.Add(await Connect());
        }

        WsTestClient fresh = await Connect();
        var clock = Stopwatch.StartNew();
        foreach (WsTestClient sleeper in sleepers)
        {
            await sleeper.SendAsync(command);
        }

        await fresh.SendAsync("echo:fresh");
        Assert.That(await fresh.ReceiveAsync(), Is.EqualTo("echo:fresh"));
        TestContext.Out.WriteLine($"fresh echo answered after {clock.Elapsed.TotalMilliseconds:0} ms while {what}");
        Assert.That(clock.Elapsed, Is.LessThan(bound), $"a fresh echo while {what}");

        foreach (WsTestClient sleeper in sleepers)
        {
            Assert.That(await sleeper.ReceiveAsync(), Is.EqualTo("slept:1000"));
        }

        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(6)), "the blocked handlers ran side by side");
    }

    [Test]
    public async Task Sixty_handlers_that_each_block_20_ms_run_side_by_side_not_one_after_another()
    {
        // The common case of a synchronous database driver: every handler blocks a little. Each call is too short for the
        // guard to see, and one read of the link carries many clients' events: they must not run in turn in its batch.
        await Start();
        var clients = new List<WsTestClient>();
        for (int i = 0; i < 60; i++)
        {
            clients.Add(await Connect());
        }

        var clock = Stopwatch.StartNew();
        await Task.WhenAll(clients.Select(client => client.SendAsync("sleep:20")));
        foreach (WsTestClient client in clients)
        {
            Assert.That(await client.ReceiveAsync(), Is.EqualTo("slept:20"));
        }

        TestContext.Out.WriteLine($"60 handlers blocking 20 ms each answered after {clock.Elapsed.TotalMilliseconds:0} ms, at most {ProbeHandler.MaxRunning} at once");
        Assert.That(ProbeHandler.MaxRunning, Is.GreaterThanOrEqualTo(4), "handlers of different clients ran side by side");
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(0.6)), "one after another they take 1.2 s");
    }

    [Test]
    public async Task Twenty_handlers_that_block_after_an_await_leave_a_fresh_echo_fast()
    {
        // After an await the handler runs outside its turn, where the guard's records cannot see it block; the pool not
        // draining its queue while the process idles shows it instead.
        await Start();
        await FreshEchoWhileTwentyBlock("awaitsleep:1000", "20 handlers block after an await", TimeSpan.FromSeconds(0.5));
    }

    [Test]
    public void The_guard_tells_a_pool_blocked_by_handlers_from_a_busy_or_computing_one()
    {
        // 25 ms between two looks, 2 cores.
        Assert.That(Worker.Execution.ThreadPoolGuard.NotDraining(pendingBefore: 18, pending: 18, completedSince: 0, cpuMs: 2, elapsedMs: 25, cores: 2),
            Is.True, "work waits, nothing completes, the process idles: its threads are blocked");
        Assert.That(Worker.Execution.ThreadPoolGuard.NotDraining(pendingBefore: 3, pending: 5, completedSince: 4_000, cpuMs: 30, elapsedMs: 25, cores: 2),
            Is.False, "a busy pool: items wait at each look, but thousands complete");
        Assert.That(Worker.Execution.ThreadPoolGuard.NotDraining(pendingBefore: 10, pending: 10, completedSince: 0, cpuMs: 48, elapsedMs: 25, cores: 2),
            Is.False, "a pool busy computing uses its cores: more threads would not help");
        Assert.That(Worker.Execution.ThreadPoolGuard.NotDraining(pendingBefore: 0, pending: 18, completedSince: 0, cpuMs: 1, elapsedMs: 25, cores: 2),
            Is.False, "work that has just arrived: wait a tick");
        Assert.That(Worker.Execution.ThreadPoolGuard.NotDraining(pendingBefore: 18, pending: 0, completedSince: 18, cpuMs: 1, elapsedMs: 25, cores: 2),
            Is.False, "it drained");
    }

    [Test]
    public async Task A_query_awaited_in_a_handler_answers_while_twenty_others_block()
    {
        await Start();
        for (int i = 0; i < 20; i++)
        {
            await (await Connect()).SendAsync("sleep:2000");
        }

        WsTestClient asker = await Connect();
        await TimeoutExtensions.WaitUntil(() => Volatile.Read(ref ProbeHandler.Sleeping) >= 10, "handlers to block");
        var clock = Stopwatch.StartNew();
        await asker.SendAsync("count");
        Assert.That(await asker.ReceiveAsync(), Is.EqualTo("count:21"));
        TestContext.Out.WriteLine($"a query in a handler answered after {clock.Elapsed.TotalMilliseconds:0} ms while 20 handlers block");
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(1.5)), "the query's reply is not held up by blocked handlers");
    }

    [Test]
    public async Task A_throwing_handler_leaves_its_client_connected_and_served_and_is_logged_once()
    {
        await Start();
        WsTestClient client = await Connect();
        await client.SendAsync("me");
        string id = (await client.ReceiveAsync())!["me:".Length..];

        await client.SendAsync("throw");
        await client.SendAsync("echo:still-here");
        Assert.That(await client.ReceiveAsync(), Is.EqualTo("echo:still-here"));
        await _cluster.Logs.WaitFor($"OnMessage failed for client {id}");
        Assert.That(_cluster.Logs.Lines.Count(l => l.Contains($"failed for client {id}", StringComparison.Ordinal)), Is.EqualTo(1));
        Assert.That(_cluster.Logs.Contains("the handler failed on purpose"), Is.True, "the exception is in the log");
    }

    [Test]
    public async Task With_HandlerErrorPolicy_CloseClient_a_throwing_handler_closes_its_client()
    {
        await Start(new() { ["SwooleGateway:Worker:HandlerErrorPolicy"] = "CloseClient" });
        WsTestClient failing = await Connect();
        WsTestClient other = await Connect();
        await failing.SendAsync("throw");
        Assert.That(await failing.ReceiveAsync(), Is.Null, "the server closed the client");
        await other.SendAsync("echo:unaffected");
        Assert.That(await other.ReceiveAsync(), Is.EqualTo("echo:unaffected"));
    }

    [Test]
    public async Task A_slow_handler_is_logged_once_with_its_client_id()
    {
        await Start(new() { ["SwooleGateway:Worker:HandlerWarningThreshold"] = "00:00:00.300" });
        WsTestClient client = await Connect();
        await client.SendAsync("me");
        string id = (await client.ReceiveAsync())!["me:".Length..];

        await client.SendAsync("sleep:1500");
        Assert.That(await client.ReceiveAsync(), Is.EqualTo("slept:1500"));
        await _cluster.Logs.WaitFor($"OnMessage for client {id} has been running for");
        Assert.That(_cluster.Logs.Lines.Count(l => l.Contains($"for client {id} has been running", StringComparison.Ordinal)), Is.EqualTo(1), "once per occurrence");
        Assert.That(_cluster.Logs.Contains("blocking a thread"), Is.True, "it says the handler blocks");
    }

    [Test]
    public async Task Each_client_runs_one_event_at_a_time_in_order_while_clients_run_side_by_side()
    {
        await Start(new() { ["SwooleGateway:Worker:MaxConcurrentHandlers"] = "4" });
        const int Clients = 12;
        const int Messages = 40;
        var sockets = new List<WsTestClient>();
        for (int i = 0; i < Clients; i++)
        {
            sockets.Add(await Connect());
        }

        await Task.WhenAll(sockets.Select((socket, c) => Task.Run(async () =>
        {
            for (int m = 0; m < Messages; m++)
            {
                await socket.SendAsync(m % 4 == 0 ? "wait:5" : $"echo:{c}:{m}");
            }

            for (int m = 0; m < Messages; m++)
            {
                Assert.That(await socket.ReceiveAsync(), Is.EqualTo(m % 4 == 0 ? "waited:5" : $"echo:{c}:{m}"), $"client {c} message {m}");
            }
        }))).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.That(ProbeHandler.MaxPerClient, Is.EqualTo(1), "never two handlers of one client at once");
        Assert.That(ProbeHandler.MaxRunning, Is.InRange(2, 4), "clients ran side by side, at most MaxConcurrentHandlers at once");
    }

    [Test]
    public void The_guard_forgets_the_threads_that_ended()
    {
        Worker.Execution.TurnRecord mine = Worker.Execution.HandlerThreads.Current;
        Worker.Execution.TurnRecord? record = null;
        var thread = new Thread(() => record = Worker.Execution.HandlerThreads.Current);
        thread.Start();
        Assert.That(thread.Join(TimeSpan.FromSeconds(10)), Is.True);
        Assert.That(record, Is.Not.Null);

        Worker.Execution.HandlerThreads.Prune();

        Assert.That(Worker.Execution.HandlerThreads.All, Does.Not.Contain(record), "a retired thread's record is dropped");
        Assert.That(Worker.Execution.HandlerThreads.All, Does.Contain(mine), "a live thread's stays");
    }
}
