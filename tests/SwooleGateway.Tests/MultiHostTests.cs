using System.Net;
using System.Text.RegularExpressions;
using SwooleGateway.Tests.Infrastructure;

namespace SwooleGateway.Tests;

/// <summary>
/// A cluster on simulated machines (issue 12): two register hosts, three gateway hosts and two worker hosts, each a
/// network namespace with its own address, the roles as the built executables with a non-default secret, gateways
/// bound to their host and advertising its address; the test process is the clients host. One scenario per test, each
/// on a cluster of its own. Skipped where namespaces cannot be created (not root).
/// </summary>
[TestFixture]
[NonParallelizable]
[CancelAfter(240_000)]
public sealed class MultiHostTests
{
    private const string Secret = "multi-host-secret-8c2f1e";

    private static readonly string[] Common =
    [
        $"--SwooleGateway:Secret={Secret}", "--SwooleGateway:HeartbeatInterval=00:00:01", "--SwooleGateway:HeartbeatTimeout=00:00:03",
        "--SwooleGateway:MaxReconnectDelay=00:00:01",
    ];

    [Test]
    public async Task Uid_group_and_client_id_sends_counts_lists_and_sessions_work_across_machines()
    {
        await using Cluster cluster = await Cluster.StartAsync();
        using TcpTestClient alice = await cluster.ConnectAsync("gateway1");
        using TcpTestClient bob = await cluster.ConnectAsync("gateway2");
        using TcpTestClient carol = await cluster.ConnectAsync("gateway3");
        Assert.That(await alice.AskAsync("uid:alice"), Is.EqualTo("ok:uid:alice"));
        Assert.That(await bob.AskAsync("uid:bob"), Is.EqualTo("ok:uid:bob"));
        Assert.That(await carol.AskAsync("uid:carol"), Is.EqualTo("ok:uid:carol"));

        await bob.SendAsync("touid:alice:hello from the other machine");
        Assert.That(await alice.ReceiveAsync(), Is.EqualTo("hello from the other machine"));
        Assert.That(await bob.AskAsync("join:room"), Is.EqualTo("ok:join:room"));
        Assert.That(await carol.AskAsync("join:room"), Is.EqualTo("ok:join:room"));
        await alice.SendAsync("togroup:room:to the room");
        Assert.That(await bob.ReceiveAsync(), Is.EqualTo("to the room"));
        Assert.That(await carol.ReceiveAsync(), Is.EqualTo("to the room"));
        Assert.That(await alice.AskAsync("count"), Is.EqualTo("count:3"));
        Assert.That(await alice.AskAsync("groupcount:room"), Is.EqualTo("groupcount:room:2"));
        Assert.That(await carol.AskAsync("online:alice"), Is.EqualTo("online:alice:true"));

        string aliceId = (await alice.AskAsync("me"))!["me:".Length..];
        string bobId = (await bob.AskAsync("me"))!["me:".Length..];
        string carolId = (await carol.AskAsync("me"))!["me:".Length..];
        Assert.That(aliceId, Does.StartWith(ClientIdPrefix(cluster.Network.AddressOf("gateway1"))), "client ids carry the advertised address");
        Assert.That(carolId, Does.StartWith(ClientIdPrefix(cluster.Network.AddressOf("gateway3"))));

        await alice.SendAsync($"sendto:{carolId}:direct to carol");
        Assert.That(await carol.ReceiveAsync(), Is.EqualTo("direct to carol"));
        Assert.That((await alice.AskAsync("clients"))!.Split(':', 2)[1].Split(','), Is.EquivalentTo(new[] { aliceId, bobId, carolId }));
        Assert.That((await alice.AskAsync("uids"))!.Split(':', 2)[1].Split(','), Is.EquivalentTo(new[] { "alice", "bob", "carol" }));
        Assert.That(await alice.AskAsync("uidclients:bob"), Is.EqualTo($"uidclients:bob:{bobId}"));
        Assert.That((await bob.AskAsync("groupclients:room"))!.Split(':', 3)[2].Split(','), Is.EquivalentTo(new[] { bobId, carolId }));
        Assert.That(await bob.AskAsync("set:color=blue"), Is.EqualTo("ok:set:color"));
        Assert.That(await alice.AskAsync("groupsessions:room"), Does.Contain(bobId).And.Contain("color=blue"));
    }

    [Test]
    public async Task Killing_a_register_a_worker_and_a_gateway_leaves_the_survivors_clients_served_and_queries_recover()
    {
        await using Cluster cluster = await Cluster.StartAsync();
        List<TcpTestClient> clients = await cluster.ConnectManyAsync(4);
        try
        {
            await AllServed(clients, "start");
            Assert.That(await clients[0].AskAsync("count"), Is.EqualTo("count:12"));

            // kill -9 of a register: traffic does not notice (the other register lists everyone).
            await cluster.Registers[1].CrashAsync();
            await AllServed(clients, "register2 killed");

            // kill -9 of a worker: its clients' events go to the other worker, nobody disconnects.
            await cluster.Workers[0].CrashAsync();
            await AllServed(clients, "worker1 killed");

            // kill -9 of a gateway: its clients are gone; the others are served, queries name it, then recover.
            await cluster.Gateways[2].CrashAsync();
            List<TcpTestClient> survivors = clients.Take(8).ToList();
            await AllServed(survivors, "gateway3 killed");
            await survivors[0].SendAsync("count");
            await cluster.Workers[1].WaitForOutput("IncompleteResultException", TimeSpan.FromSeconds(30));
            Assert.That(cluster.Workers[1].Output, Does.Contain($"{cluster.Network.AddressOf("gateway3")}:2900"), "the dead gateway is named");
            await TimeoutExtensions.WaitUntilAsync(async () => await survivors[1].AskAsync("count", TimeSpan.FromSeconds(4)) == "count:8",
                "queries to recover without the dead gateway", TimeSpan.FromSeconds(60));
            Assert.That(cluster.Gateways[0].HasExited || cluster.Gateways[1].HasExited || cluster.Workers[1].HasExited || cluster.Registers[0].HasExited, Is.False);
        }
        finally
        {
            clients.ForEach(c => c.Dispose());
        }
    }

    [Test]
    public async Task A_partitioned_gateway_is_reported_missing_no_worker_hangs_and_after_healing_its_clients_are_reachable()
    {
        await using Cluster cluster = await Cluster.StartAsync();
        using TcpTestClient alice = await cluster.ConnectAsync("gateway1");
        using TcpTestClient bob = await cluster.ConnectAsync("gateway2");
        Assert.That(await alice.AskAsync("uid:alice"), Is.EqualTo("ok:uid:alice"));
        Assert.That(await bob.AskAsync("uid:bob"), Is.EqualTo("ok:uid:bob"));
        Assert.That(await alice.AskAsync("count"), Is.EqualTo("count:2"));

        // gateway2's machine drops off the network: a query from alice names it as missing (the worker that ran it logs
        // IncompleteResultException with its address) within the call timeout, and the workers keep serving alice.
        await cluster.Network.PartitionAsync("gateway2");
        await alice.SendAsync("count");
        string missing = $"{cluster.Network.AddressOf("gateway2")}:2900";
        await TimeoutExtensions.WaitUntil(() => cluster.Workers.Any(w => w.Output.Contains("IncompleteResultException", StringComparison.Ordinal)
            && w.Output.Contains(missing, StringComparison.Ordinal)), "a worker to report gateway2 missing", TimeSpan.FromSeconds(30));
        for (int i = 0; i < 5; i++)
        {
            Assert.That(await alice.AskAsync("echo:still served " + i, TimeSpan.FromSeconds(10)), Is.EqualTo("echo:still served " + i), "no worker hangs");
        }

        // Long enough for the links to gateway2 to be declared dead (heartbeat timeout 3 s): both workers drop them.
        foreach (RoleProcess worker in cluster.Workers)
        {
            await worker.WaitForOutput($"Lost gateway {missing}", TimeSpan.FromSeconds(30));
        }

        // Back on the network: listed again, its client (still connected on its machine) reachable from the other one.
        await cluster.Network.HealAsync("gateway2");
        await TimeoutExtensions.WaitUntilAsync(async () => await alice.AskAsync("count", TimeSpan.FromSeconds(3)) == "count:2", "gateway2 counted again",
            TimeSpan.FromSeconds(60));
        await alice.SendAsync("touid:bob:welcome back");
        Assert.That(await bob.ReceiveAsync(TimeSpan.FromSeconds(20)), Is.EqualTo("welcome back"));
        Assert.That(cluster.Gateways.Any(g => g.HasExited) || cluster.Workers.Any(w => w.HasExited), Is.False);
    }

    /// <summary>
    /// Issue 9 on simulated machines: a worker's machine drops off the network under load. No connection is reset, so
    /// nothing tells the gateway the worker is gone but the heartbeat timeout; the events it held and those routed to it
    /// meanwhile must reach the other worker, and once healed the cut-off worker must serve again.
    /// </summary>
    [Test]
    public async Task A_worker_host_cut_off_under_load_loses_no_request_and_serves_again_after_healing()
    {
        await using Cluster cluster = await Cluster.StartAsync();
        RoleProcess gateway = cluster.Gateways[0];
        var endpoint = new IPEndPoint(cluster.Network.AddressOf("gateway1"), 7273);
        await using PipelinedEchoLoad load = await PipelinedEchoLoad.StartAsync(endpoint, clients: 50, window: 8, prefix: "delay:2:");
        await TimeoutExtensions.WaitUntil(() => load.Answered > 5_000, "the load to run", TimeSpan.FromSeconds(30));

        await cluster.Network.PartitionAsync("worker1");
        string worker1 = cluster.Network.AddressOf("worker1").ToString();

        // Silent for one and a half heartbeat intervals: new clients go to the other worker at once, before the heartbeat
        // timeout has closed the link (round-robin would otherwise send every other one to the silent worker, to wait).
        await TimeoutExtensions.WaitUntil(() => Regex.IsMatch(gateway.Output, $@"Nothing from worker \S+ at {Regex.Escape(worker1)}:"),
            "the gateway to notice that the worker is silent", TimeSpan.FromSeconds(30));
        var newcomers = new List<TcpTestClient>();
        try
        {
            for (int i = 0; i < 10; i++)
            {
                newcomers.Add(await cluster.ConnectAsync("gateway1"));
                Assert.That(await newcomers[^1].AskAsync("echo:newcomer " + i, TimeSpan.FromSeconds(15)), Is.EqualTo("echo:newcomer " + i));
            }

            Assert.That(gateway.Output, Does.Not.Contain("(heartbeat timeout)"), "every newcomer answered before the silent worker's link timed out");
        }
        finally
        {
            newcomers.ForEach(c => c.Dispose());
        }
        await TimeoutExtensions.WaitUntil(() => Regex.IsMatch(gateway.Output, @"left without acknowledging \d+ events"),
            "the gateway to give up on the cut-off worker and redeliver its events", TimeSpan.FromSeconds(30));
        long atCut = load.Answered;
        await TimeoutExtensions.WaitUntil(() => load.Answered > atCut + 5_000, "the load to go on with one worker", TimeSpan.FromSeconds(30));

        // Healed: the cut-off worker's own heartbeat timeout has dropped its links; it reconnects and takes clients again.
        await cluster.Network.HealAsync("worker1");
        await TimeoutExtensions.WaitUntil(() => Regex.Matches(gateway.Output, $@"connected from {Regex.Escape(worker1)}:").Count >= 2,
            "the healed worker to connect to the gateway again", TimeSpan.FromSeconds(60));
        long atHeal = load.Answered;
        await TimeoutExtensions.WaitUntil(() => load.Answered > atHeal + 5_000, "the load to go on with both workers", TimeSpan.FromSeconds(30));
        load.StopSending();
        await load.WaitForAnswersAsync(TimeSpan.FromSeconds(30));

        long redelivered = Regex.Matches(gateway.Output, @"left without acknowledging (\d+) events")
            .Sum(m => long.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
        TestContext.Out.WriteLine($"worker host cut off under load: sent {load.Sent}, answered {load.Answered}, answered twice {load.Repeated}, " +
            $"redelivered by the gateway {redelivered}, clients disconnected {load.Disconnected}");
        Assert.That(load.Disconnected, Is.Zero, "no client disconnected");
        Assert.That(load.Answered, Is.EqualTo(load.Sent), "every request answered");
        Assert.That(redelivered, Is.GreaterThan(0), "the cut-off worker held unacknowledged events");
        Assert.That(load.Repeated, Is.LessThanOrEqualTo(redelivered), "a request answered twice only because it was redelivered");
        Assert.That(cluster.Gateways.Any(g => g.HasExited) || cluster.Workers.Any(w => w.HasExited), Is.False);
    }

    [Test]
    public async Task A_partitioned_register_host_changes_nothing_for_traffic()
    {
        await using Cluster cluster = await Cluster.StartAsync();
        List<TcpTestClient> clients = await cluster.ConnectManyAsync(2);
        try
        {
            Assert.That(await clients[0].AskAsync("uid:u0"), Is.EqualTo("ok:uid:u0"));
            Assert.That(await clients[^1].AskAsync("join:g"), Is.EqualTo("ok:join:g"));
            await AllServed(clients, "before");

            await cluster.Network.PartitionAsync("register1");
            // Longer than the heartbeat timeout: everyone has noticed the register is gone, and keeps working.
            foreach (RoleProcess node in cluster.Gateways.Concat(cluster.Workers))
            {
                await node.WaitForOutput($"Lost register {cluster.Network.AddressOf("register1")}:1236", TimeSpan.FromSeconds(30));
            }

            await AllServed(clients, "register1 cut off");
            Assert.That(await clients[1].AskAsync("count"), Is.EqualTo("count:6"));
            await clients[2].SendAsync("touid:u0:across, without register1");
            Assert.That(await clients[0].ReceiveAsync(), Is.EqualTo("across, without register1"));
            await clients[0].SendAsync("togroup:g:to the group");
            Assert.That(await clients[^1].ReceiveAsync(), Is.EqualTo("to the group"));

            await cluster.Network.HealAsync("register1");
            await AllServed(clients, "register1 back");
        }
        finally
        {
            clients.ForEach(c => c.Dispose());
        }
    }

    private static async Task AllServed(IEnumerable<TcpTestClient> who, string what)
    {
        foreach (TcpTestClient client in who)
        {
            Assert.That(await client.AskAsync("echo:" + what, TimeSpan.FromSeconds(15)), Is.EqualTo("echo:" + what), what);
        }
    }

    /// <summary>The start of the client ids of a gateway at <paramref name="address"/>:2900 (IPv4 in hex, then the port).</summary>
    private static string ClientIdPrefix(IPAddress address) => Convert.ToHexString(address.GetAddressBytes()).ToLowerInvariant() + "0b54";

    /// <summary>Two registers, three gateways, two Echo workers, each on a host of its own; clients come from the test process.</summary>
    private sealed class Cluster : IAsyncDisposable
    {
        private static readonly string[] GatewayHosts = ["gateway1", "gateway2", "gateway3"];

        private Cluster(SimulatedNetwork network) => Network = network;

        public SimulatedNetwork Network { get; }

        public RoleProcess[] Registers { get; private set; } = [];

        public RoleProcess[] Gateways { get; private set; } = [];

        public RoleProcess[] Workers { get; private set; } = [];

        public static async Task<Cluster> StartAsync()
        {
            SimulatedNetwork.SkipUnlessAvailable();
            SimulatedNetwork network = await SimulatedNetwork.CreateAsync(["register1", "register2", .. GatewayHosts, "worker1", "worker2"]);
            var cluster = new Cluster(network);
            try
            {
                string[] registers = [$"--SwooleGateway:Registers:0={network.AddressOf("register1")}:1236", $"--SwooleGateway:Registers:1={network.AddressOf("register2")}:1236"];
                cluster.Registers = [.. new[] { "register1", "register2" }.Select(h =>
                    network.Start(h, "SwooleGateway.Register", [.. Common, $"--SwooleGateway:Register:Listen={network.AddressOf(h)}:1236"]))];
                foreach (RoleProcess register in cluster.Registers)
                {
                    await register.WaitForOutput("Register listening on");
                }

                cluster.Gateways = [.. GatewayHosts.Select(h => network.Start(h, "SwooleGateway.Gateway", [.. Common, .. registers,
                    "--SwooleGateway:Gateway:Internal=0.0.0.0:2900", $"--SwooleGateway:Gateway:AdvertiseAddress={network.AddressOf(h)}:2900",
                    "--SwooleGateway:Gateway:Listeners:0:Endpoint=0.0.0.0:7272", "--SwooleGateway:Gateway:Listeners:1:Endpoint=0.0.0.0:7273"]))];
                string[] workerArgs = [.. Common, .. registers, "--SwooleGateway:Worker:CallTimeout=00:00:02", "--SwooleGateway:Worker:MissingGatewayWindow=00:00:03"];
                cluster.Workers = [.. new[] { "worker1", "worker2" }.Select(h => network.Start(h, "SwooleGateway.Samples.Echo", workerArgs))];
                foreach (RoleProcess gateway in cluster.Gateways)
                {
                    await gateway.WaitForOutput("(2 workers)");
                }

                return cluster;
            }
            catch
            {
                await cluster.DisposeAsync();
                throw;
            }
        }

        public Task<TcpTestClient> ConnectAsync(string gatewayHost) => TcpTestClient.ConnectAsync(new IPEndPoint(Network.AddressOf(gatewayHost), 7273));

        /// <summary><paramref name="perGateway"/> clients on each gateway, in gateway order.</summary>
        public async Task<List<TcpTestClient>> ConnectManyAsync(int perGateway)
        {
            var clients = new List<TcpTestClient>();
            foreach (string host in GatewayHosts)
            {
                for (int i = 0; i < perGateway; i++)
                {
                    clients.Add(await ConnectAsync(host));
                }
            }

            return clients;
        }

        public ValueTask DisposeAsync() => Network.DisposeAsync(); // stops the processes it started and removes every namespace and link
    }
}
