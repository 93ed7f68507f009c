using SwooleGateway.Tests.Infrastructure;

namespace SwooleGateway.Tests;

/// <summary>
/// Issue 11, acceptance 5: settings that can change safely take effect when the configuration changes, without a
/// restart (the throttle, in a real appsettings.json, is in ProcessClusterTests; the secret in SecretRotationTests).
/// </summary>
[TestFixture]
[CancelAfter(60_000)]
public sealed class LiveSettingsTests
{
    [Test]
    public async Task MaxConnections_changes_while_running_and_keeps_the_clients_it_has()
    {
        await using TestCluster cluster = await TestCluster.StartAsync(gateways: 1, workers: 1);
        using TcpTestClient first = await TcpTestClient.ConnectAsync(cluster.TcpEndPoint);
        using TcpTestClient second = await TcpTestClient.ConnectAsync(cluster.TcpEndPoint);
        await TimeoutExtensions.WaitUntil(() => cluster.Gateway.ClientCount == 2, "two clients");

        TestCluster.Reconfigure(cluster.Gateways[0].Host, new() { ["SwooleGateway:Gateway:MaxConnections"] = "2" });

        // At the new limit a new client is refused (or, once the accept loop sees the limit, left in the listen backlog).
        using (TcpTestClient third = await TcpTestClient.ConnectAsync(cluster.TcpEndPoint))
        {
            Assert.That(await third.ReceiveUntilNullAsync(), Is.True, "refused: closed");
        }

        await cluster.Logs.WaitFor("at MaxConnections (2)");
        await first.SendAsync("echo:still here");
        Assert.That(await first.ReceiveAsync(), Is.EqualTo("echo:still here"), "the clients it had stay");

        TestCluster.Reconfigure(cluster.Gateways[0].Host, new() { ["SwooleGateway:Gateway:MaxConnections"] = "100" });
        using TcpTestClient fourth = await TcpTestClient.ConnectAsync(cluster.TcpEndPoint);
        await fourth.SendAsync("echo:admitted");
        Assert.That(await fourth.ReceiveAsync(TimeSpan.FromSeconds(10)), Is.EqualTo("echo:admitted"), "raised again: new clients are served");
    }

    [Test]
    public async Task An_idle_timeout_set_while_running_closes_idle_clients()
    {
        await using TestCluster cluster = await TestCluster.StartAsync(gateways: 1, workers: 1);
        using TcpTestClient idle = await TcpTestClient.ConnectAsync(cluster.TcpEndPoint);
        await idle.SendAsync("echo:hi");
        Assert.That(await idle.ReceiveAsync(), Is.EqualTo("echo:hi"));

        TestCluster.Reconfigure(cluster.Gateways[0].Host, new() { ["SwooleGateway:Gateway:Listeners:1:IdleTimeout"] = "00:00:00.500" });
        Assert.That(await idle.ReceiveUntilNullAsync(), Is.True, "closed once idle longer than the new IdleTimeout");
        await cluster.Logs.WaitFor("(IdleTimeout)");
    }

    [Test]
    public async Task Switching_to_consistent_hashing_while_running_brings_each_uids_clients_together()
    {
        await using TestCluster cluster = await TestCluster.StartAsync<RoutingTests.RoutedHandler>(gateways: 1, workers: 0);
        await cluster.StartWorkerAsync<RoutingTests.RoutedHandler>(settings: new() { ["SwooleGateway:Worker:Name"] = "worker-a" });
        await cluster.StartWorkerAsync<RoutingTests.RoutedHandler>(settings: new() { ["SwooleGateway:Worker:Name"] = "worker-b" });
        await cluster.WaitConnectedAsync();

        // Round-robin: the two clients of each uid land on different workers.
        var clients = new List<(string Uid, TcpTestClient Client)>();
        try
        {
            for (int u = 0; u < 6; u++)
            {
                for (int c = 0; c < 2; c++)
                {
                    TcpTestClient client = await TcpTestClient.ConnectAsync(cluster.TcpEndPoint);
                    await client.SendAsync("bind:user-" + u);
                    Assert.That(await client.ReceiveAsync(), Is.EqualTo("bound"));
                    clients.Add(("user-" + u, client));
                }
            }

            Dictionary<string, string[]> before = await WorkersByUid(clients);
            Assert.That(before.Values.Count(w => w.Distinct().Count() > 1), Is.GreaterThan(0), "round-robin splits some uids");

            TestCluster.Reconfigure(cluster.Gateways[0].Host, new()
            {
                ["SwooleGateway:Gateway:Routing:Strategy"] = "ConsistentHash",
                ["SwooleGateway:Gateway:Routing:Key"] = "uid",
            });
            await cluster.Logs.WaitFor("Routing changed: ConsistentHash");

            Dictionary<string, string[]> after = await WorkersByUid(clients);
            Assert.That(after.Values.Select(w => w.Distinct().Count()), Has.All.EqualTo(1), "every uid's clients on one worker");

            // A key that is not valid is refused with a log line; the routing stays.
            TestCluster.Reconfigure(cluster.Gateways[0].Host, new() { ["SwooleGateway:Gateway:Routing:Key"] = "nonsense" });
            await cluster.Logs.WaitFor("The changed routing configuration is not valid");
            Assert.That((await WorkersByUid(clients)).Values.Select(w => w.Distinct().Count()), Has.All.EqualTo(1));
        }
        finally
        {
            clients.ForEach(c => c.Client.Dispose());
        }
    }

    private static async Task<Dictionary<string, string[]>> WorkersByUid(List<(string Uid, TcpTestClient Client)> clients)
    {
        var seen = new List<(string Uid, string Worker)>();
        foreach ((string uid, TcpTestClient client) in clients)
        {
            await client.SendAsync("who");
            seen.Add((uid, (await client.ReceiveAsync())!));
        }

        return seen.GroupBy(s => s.Uid).ToDictionary(g => g.Key, g => g.Select(s => s.Worker).ToArray());
    }
}
