using SwooleGateway.Hosting;
using EchoSample;
using SwooleGateway.Tests.Infrastructure;

namespace SwooleGateway.Tests;

/// <summary>
/// Issue 12, memory per idle connection: after clients connect or leave in numbers and that settles, the gateway runs one
/// compacting collection that returns what the handshakes left behind to the OS (its idle clients allocate nothing, so
/// the runtime would never collect again). The rule is tested with an explicit clock; a gateway shows it end to end.
/// </summary>
[TestFixture]
public sealed class MemoryTrimTests
{
    private static MemoryTrimmer NewTrimmer(TimeSpan? stagger = null) =>
        new(default, () => { }, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, "SwooleGateway:Gateway", stagger ?? TimeSpan.Zero);

    [Test]
    public void A_trim_comes_once_the_churn_has_settled_for_the_quiet_period_and_not_before()
    {
        MemoryTrimmer trimmer = NewTrimmer();
        long t = 100_000;
        Assert.That(trimmer.Decide(t, churn: 0, connections: 0, threshold: 1000), Is.False, "nothing happened");
        Assert.That(trimmer.Decide(t += 500, churn: 600, connections: 600, threshold: 1000), Is.False, "the storm is on");
        Assert.That(trimmer.Decide(t += 500, churn: 1200, connections: 1200, threshold: 1000), Is.False, "still on");
        Assert.That(trimmer.Decide(t += 500, churn: 1200, connections: 1200, threshold: 1000), Is.False, "settled for 0.5 s only");
        Assert.That(trimmer.Decide(t += 1000, churn: 1200, connections: 1200, threshold: 1000), Is.False, "settled for 1.5 s only");
        Assert.That(trimmer.Decide(t += 600, churn: 1200, connections: 1200, threshold: 1000), Is.True, "settled for 2.1 s: trim");
        Assert.That(trimmer.Decide(t += 500, churn: 1200, connections: 1200, threshold: 1000), Is.False, "once per storm");
    }

    [Test]
    public void A_gateway_s_stagger_adds_to_the_quiet_period()
    {
        MemoryTrimmer trimmer = NewTrimmer(TimeSpan.FromMilliseconds(1500));
        long t = 0;
        Assert.That(trimmer.Decide(t, churn: 0, connections: 0, threshold: 1000), Is.False);
        Assert.That(trimmer.Decide(t += 500, churn: 1200, connections: 1200, threshold: 1000), Is.False, "the storm");
        Assert.That(trimmer.Decide(t += 2100, churn: 1200, connections: 1200, threshold: 1000), Is.False, "settled for 2.1 s: the quiet period, not the stagger");
        Assert.That(trimmer.Decide(t += 1300, churn: 1200, connections: 1200, threshold: 1000), Is.False, "settled for 3.4 s");
        Assert.That(trimmer.Decide(t += 200, churn: 1200, connections: 1200, threshold: 1000), Is.True, "settled for 3.6 s: 2 s and the 1.5 s stagger");
    }

    [Test]
    public void Gateways_draw_different_staggers_below_the_maximum()
    {
        TimeSpan[] staggers = [.. Enumerable.Range(0, 20).Select(_ => new MemoryTrimmer(default, () => { }, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, "SwooleGateway:Gateway").Stagger)];
        Assert.That(staggers, Has.All.GreaterThanOrEqualTo(TimeSpan.Zero).And.All.LessThan(MemoryTrimmer.MaxStagger));
        Assert.That(staggers.Distinct().Count(), Is.GreaterThan(10), "drawn at random (3,000 possible values), not one for all");
    }

    [Test]
    public void A_trim_by_another_role_of_the_process_after_the_churn_settled_counts_as_this_one_s()
    {
        // The all-in-one host: gateway and worker see the same storm; the process collects once.
        MemoryTrimmer worker = NewTrimmer();
        long t = 0;
        Assert.That(worker.Decide(t, churn: 0, connections: 0, threshold: 1000), Is.False);
        Assert.That(worker.Decide(t += 500, churn: 1200, connections: 1200, threshold: 1000), Is.False, "the storm");
        Assert.That(worker.Decide(t += 1500, churn: 1200, connections: 1200, threshold: 1000, processTrimmedAt: t - 100), Is.False, "the gateway trimmed after it settled");
        Assert.That(worker.Decide(t += 5000, churn: 1200, connections: 1200, threshold: 1000, processTrimmedAt: t - 5100), Is.False, "so this storm is done");

        // A trim that came before this trimmer's churn settled did not collect its garbage.
        MemoryTrimmer late = NewTrimmer();
        t = 0;
        Assert.That(late.Decide(t, churn: 0, connections: 0, threshold: 1000, processTrimmedAt: -1), Is.False, "a trim before anything churned covers nothing");
        Assert.That(late.Decide(t += 500, churn: 1200, connections: 1200, threshold: 1000, processTrimmedAt: 100), Is.False, "the storm, after another role's trim");
        Assert.That(late.Decide(t += 2100, churn: 1200, connections: 1200, threshold: 1000, processTrimmedAt: 100), Is.True, "settled: its own trim");
    }

    [Test]
    public void Small_churn_a_churn_below_a_tenth_of_the_clients_and_a_zero_threshold_never_trim()
    {
        MemoryTrimmer small = NewTrimmer();
        Assert.That(small.Decide(0, 0, 0, 1000), Is.False);
        Assert.That(small.Decide(500, 999, 999, 1000), Is.False);
        Assert.That(small.Decide(10_000, 999, 999, 1000), Is.False, "999 clients are below the threshold");

        MemoryTrimmer big = NewTrimmer();
        Assert.That(big.Decide(0, 0, 100_000, 1000), Is.False);
        Assert.That(big.Decide(500, 5_000, 100_000, 1000), Is.False);
        Assert.That(big.Decide(10_000, 5_000, 100_000, 1000), Is.False, "5,000 of 100,000 clients is below a tenth");
        Assert.That(big.Decide(10_500, 10_000, 100_000, 1000), Is.False);
        Assert.That(big.Decide(13_000, 10_000, 100_000, 1000), Is.True, "a tenth");

        MemoryTrimmer off = NewTrimmer();
        Assert.That(off.Decide(0, 0, 0, 0), Is.False);
        Assert.That(off.Decide(500, 50_000, 50_000, 0), Is.False);
        Assert.That(off.Decide(60_000, 50_000, 50_000, 0), Is.False, "TrimMemoryAfterChurn=0 turns it off");
    }

    [Test]
    public void Trims_are_at_least_the_minimum_interval_apart_and_count_leaving_clients_too()
    {
        MemoryTrimmer trimmer = NewTrimmer();
        Assert.That(trimmer.Decide(0, 0, 0, 100), Is.False);
        Assert.That(trimmer.Decide(1_000, 200, 200, 100), Is.False);
        Assert.That(trimmer.Decide(3_500, 200, 200, 100), Is.True);

        // All 200 leave 5 s later: churn 400, settled, but the last trim was less than 30 s ago.
        Assert.That(trimmer.Decide(8_500, 400, 0, 100), Is.False);
        Assert.That(trimmer.Decide(11_000, 400, 0, 100), Is.False, "within MinInterval of the last trim");
        Assert.That(trimmer.Decide(3_500 + (long)MemoryTrimmer.MinInterval.TotalMilliseconds, 400, 0, 100), Is.True, "the leaving clients' storm, after MinInterval");
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task A_gateway_trims_once_after_a_burst_of_clients_and_logs_what_it_returned()
    {
        await using TestCluster cluster = await TestCluster.StartAsync(gateways: 1, workers: 1,
            new Dictionary<string, string?> { ["SwooleGateway:Gateway:TrimMemoryAfterChurn"] = "40" });
        var clients = new List<TcpTestClient>();
        try
        {
            for (int i = 0; i < 30; i++)
            {
                clients.Add(await TcpTestClient.ConnectAsync(cluster.Gateway.ListenerEndPoints["tcp"]));
            }

            await clients[^1].SendAsync("echo:x");
            Assert.That(await clients[^1].ReceiveAsync(), Is.EqualTo("echo:x"));
            await TimeoutExtensions.WaitUntil(() => cluster.Gateway.ClientCount == 30, "30 clients in the tables");
            // 30 joined: below 40, so no trim however long it settles.
            await Task.Delay(MemoryTrimmer.QuietPeriod + MemoryTrimmer.MaxStagger + TimeSpan.FromSeconds(1));
            Assert.That(cluster.Logs.Contains("compacting collection returned"), Is.False, "30 clients are below the threshold");

            foreach (TcpTestClient c in clients.Take(15))
            {
                c.Dispose();
            }

            // 15 left: 45 joined or left in all, then it settles: one trim.
            await cluster.Logs.WaitFor("compacting collection returned");
            Assert.That(cluster.Logs.Lines.Count(l => l.Contains("compacting collection returned", StringComparison.Ordinal)), Is.EqualTo(1));
            Assert.That(cluster.Logs.Lines.First(l => l.Contains("compacting collection returned", StringComparison.Ordinal)), Does.Contain("for 15 clients"));

            // The gateway serves its clients as before.
            await clients[^1].SendAsync("echo:y");
            Assert.That(await clients[^1].ReceiveAsync(), Is.EqualTo("echo:y"));
        }
        finally
        {
            foreach (TcpTestClient c in clients)
            {
                c.Dispose();
            }
        }
    }

    [Test]
    public async Task A_worker_trims_once_after_a_burst_of_clients_and_logs_what_it_returned()
    {
        await using TestCluster cluster = await TestCluster.StartAsync<EchoHandler>(gateways: 1, workers: 1,
            gatewaySettings: new Dictionary<string, string?> { ["SwooleGateway:Gateway:TrimMemoryAfterChurn"] = "0" },
            workerSettings: new Dictionary<string, string?> { ["SwooleGateway:Worker:TrimMemoryAfterChurn"] = "40" });
        const string Trimmed = "compacting collection returned";
        var clients = new List<TcpTestClient>();
        try
        {
            for (int i = 0; i < 30; i++)
            {
                clients.Add(await TcpTestClient.ConnectAsync(cluster.Gateway.ListenerEndPoints["tcp"]));
            }

            await TimeoutExtensions.WaitUntil(() => cluster.Workers[0].Service.KnownClients == 30, "the worker knows 30 clients");
            await Task.Delay(MemoryTrimmer.QuietPeriod + MemoryTrimmer.MaxStagger + TimeSpan.FromSeconds(1));
            Assert.That(cluster.Logs.Contains(Trimmed), Is.False, "30 clients are below the worker's threshold (and the gateway's is off)");

            foreach (TcpTestClient c in clients.Take(15))
            {
                c.Dispose();
            }

            // 15 left: 45 connected or left in all, then it settles: one trim, by the worker.
            await cluster.Logs.WaitFor(Trimmed);
            string[] lines = [.. cluster.Logs.Lines.Where(l => l.Contains(Trimmed, StringComparison.Ordinal))];
            Assert.That(lines, Has.Length.EqualTo(1));
            Assert.That(lines[0], Does.Contain("for 15 clients").And.Contain("SwooleGateway:Worker:TrimMemoryAfterChurn=0 turns this off"));

            await clients[^1].SendAsync("echo:y");
            Assert.That(await clients[^1].ReceiveAsync(), Is.EqualTo("echo:y"), "the worker serves its clients as before");
        }
        finally
        {
            foreach (TcpTestClient c in clients)
            {
                c.Dispose();
            }
        }
    }
}
