using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using SwooleGateway.Gateway.Routing;
using SwooleGateway.Tests.Infrastructure;
using SwooleGateway.Worker;

namespace SwooleGateway.Tests;

/// <summary>
/// Routing (issue 11, acceptance 3): consistent hashing by uid keeps every client of a uid on one worker across
/// gateways, a fourth worker joining three takes at most 35 % of the keys, moving a client keeps its events in order,
/// and worker tags restrict a listener to the workers that have them.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class RoutingTests
{
    private static readonly Dictionary<string, string?> HashByUid = new()
    {
        ["SwooleGateway:Gateway:Routing:Strategy"] = "ConsistentHash",
        ["SwooleGateway:Gateway:Routing:Key"] = "uid",
    };

    [SetUp]
    public void Reset() => RoutedHandler.Seen.Clear();

    [Test]
    public void The_ring_moves_at_most_35_percent_of_10000_keys_when_a_fourth_worker_joins_three()
    {
        // The figure in docs/operations.md: keys are user ids, workers are named as an operator would name them.
        string[] keys = [.. Enumerable.Range(0, 10_000).Select(i => $"user-{i}")];
        var three = new ConsistentHashRouter.Ring(Workers("worker-a", "worker-b", "worker-c"));
        var four = new ConsistentHashRouter.Ring(Workers("worker-a", "worker-b", "worker-c", "worker-d"));
        int moved = 0;
        int movedElsewhere = 0;
        var perWorker = new Dictionary<string, int>();
        foreach (string key in keys)
        {
            ulong hash = ConsistentHashRouter.Hash(key);
            string before = three.Owner(hash)!.NodeId;
            string after = four.Owner(hash)!.NodeId;
            perWorker[after] = perWorker.GetValueOrDefault(after) + 1;
            if (before != after)
            {
                moved++;
                movedElsewhere += after == "worker-d" ? 0 : 1;
            }
        }

        TestContext.Out.WriteLine($"moved {moved} of {keys.Length} keys ({100.0 * moved / keys.Length:0.0} %); per worker after: {string.Join(", ", perWorker.OrderBy(p => p.Key).Select(p => $"{p.Key} {p.Value}"))}");
        Assert.That(moved, Is.LessThanOrEqualTo(keys.Length * 35 / 100));
        Assert.That(movedElsewhere, Is.Zero, "a key that moves goes to the new worker, never between the old ones");
        Assert.That(perWorker.Values, Has.All.InRange(keys.Length / 4 * 70 / 100, keys.Length / 4 * 130 / 100), "each worker gets its share within ±30 %");
    }

    [TestCase("", 0xEFD01F60BA992926UL)]
    [TestCase("a", 0x82A2A958A9BECE5BUL)]
    [TestCase("user-42", 0xA39532C7AB051E8DUL)]
    [TestCase("é", 0x9D55CCB9BA86763BUL)]
    public void The_hash_is_the_same_in_every_process_and_version(string key, ulong expected)
    {
        // FNV-1a 64 + MurmurHash3 fmix64 of the UTF-8 bytes (values computed apart from this code): gateways of
        // different versions must place keys alike, so this may never change.
        Assert.That(ConsistentHashRouter.Hash(key), Is.EqualTo(expected));
    }

    [Test]
    public void A_routing_key_that_is_not_one_the_gateway_knows_says_what_to_write()
    {
        var error = Assert.Throws<InvalidOperationException>(() => ConsistentHashRouter.Create("room"))!;
        Assert.That(error.Message, Does.Contain("'uid', 'group', 'group:PREFIX'"));
        Assert.That(ConsistentHashRouter.Create("group:room:").Inputs, Is.EqualTo(RoutingInputs.Groups | RoutingInputs.Workers));
        Assert.That(ConsistentHashRouter.Create("session:tenant").Inputs, Is.EqualTo(RoutingInputs.Session | RoutingInputs.Workers));
    }

    [Test]
    public async Task Clients_of_one_uid_on_two_gateways_reach_one_worker_and_a_fourth_worker_takes_at_most_35_percent_of_the_uids()
    {
        await using TestCluster cluster = await TestCluster.StartAsync<RoutedHandler>(gateways: 2, workers: 0, gatewaySettings: HashByUid);
        foreach (string name in new[] { "worker-a", "worker-b", "worker-c" })
        {
            await StartWorker(cluster, name);
        }

        await cluster.WaitConnectedAsync();

        // 60 uids, two clients each, one on each gateway.
        const int Uids = 60;
        var clients = new List<(string Uid, TcpTestClient Client)>();
        try
        {
            for (int u = 0; u < Uids; u++)
            {
                for (int g = 0; g < 2; g++)
                {
                    TcpTestClient client = await TcpTestClient.ConnectAsync(cluster.Gateways[g].Server.ListenerEndPoints["tcp"]);
                    clients.Add(($"user-{u}", client));
                }
            }

            foreach ((string uid, TcpTestClient client) in clients)
            {
                await client.SendAsync("bind:" + uid);
                Assert.That(await client.ReceiveAsync(), Is.EqualTo("bound"));
            }

            Dictionary<string, string> before = await WorkerOfEachUid(clients);
            Assert.That(before.Values.Distinct().Count(), Is.EqualTo(3), "the uids spread over all three workers");

            await StartWorker(cluster, "worker-d");
            await cluster.WaitConnectedAsync();

            Dictionary<string, string> after = await WorkerOfEachUid(clients);
            int moved = before.Count(b => after[b.Key] != b.Value);
            TestContext.Out.WriteLine($"{moved} of {Uids} uids moved when worker-d joined");
            Assert.That(moved, Is.GreaterThan(0), "the new worker takes some keys");
            Assert.That(moved, Is.LessThanOrEqualTo(Uids * 35 / 100));
            Assert.That(before.Where(b => after[b.Key] != b.Value).Select(b => after[b.Key]), Has.All.EqualTo("worker-d"), "keys move only to the new worker");
        }
        finally
        {
            foreach ((_, TcpTestClient client) in clients)
            {
                client.Dispose();
            }
        }
    }

    [Test]
    public async Task A_client_that_moves_to_its_uids_worker_keeps_its_events_in_order()
    {
        await using TestCluster cluster = await TestCluster.StartAsync<RoutedHandler>(gateways: 1, workers: 0, gatewaySettings: HashByUid);
        foreach (string name in new[] { "worker-a", "worker-b", "worker-c" })
        {
            await StartWorker(cluster, name);
        }

        await cluster.WaitConnectedAsync();

        // Each client binds its uid and at once sends 100 numbered messages without waiting: those after the bind wait
        // for the worker that had the client to finish before they go to the uid's worker.
        const int Clients = 12;
        const int Messages = 100;
        var clients = new List<TcpTestClient>();
        try
        {
            for (int c = 0; c < Clients; c++)
            {
                clients.Add(await TcpTestClient.ConnectAsync(cluster.TcpEndPoint));
            }

            await Task.WhenAll(clients.Select(async (client, c) =>
            {
                // The first half goes before the bind has taken effect (all to the first worker, queued behind the bind);
                // the second half once it has, while the first half is still being handled there: those wait for it.
                await client.SendAsync($"bind:mover-{c}");
                for (int i = 1; i <= Messages / 2; i++)
                {
                    await client.SendAsync((i % 10 == 0 ? "slow:" : "n:") + i);
                }

                Assert.That(await client.ReceiveAsync(), Is.EqualTo("bound"));
                for (int i = Messages / 2 + 1; i <= Messages; i++)
                {
                    await client.SendAsync((i % 10 == 0 ? "slow:" : "n:") + i);
                }

                List<string> replies = await client.ReceiveUntilAsync("n:" + Messages);
                Assert.That(replies, Is.EqualTo(Enumerable.Range(1, Messages - 1).Select(i => "n:" + i)), "answers in order");
            }));

            int movedClients = 0;
            foreach (IGrouping<string, (string Client, string Worker, int Number)> client in RoutedHandler.Seen.GroupBy(s => s.Client))
            {
                int[] numbers = [.. client.Where(s => s.Number > 0).Select(s => s.Number)];
                Assert.That(numbers, Is.EqualTo(Enumerable.Range(1, Messages)), $"client {client.Key}'s events in order, each once");
                var workers = client.Select(s => s.Worker).Distinct().ToList();
                movedClients += workers.Count > 1 ? 1 : 0;
                string last = client.Last().Worker;
                Assert.That(client.SkipWhile(s => s.Worker != last).All(s => s.Worker == last), Is.True, "once moved, it stays");
            }

            TestContext.Out.WriteLine($"{movedClients} of {Clients} clients moved to their uid's worker");
            Assert.That(movedClients, Is.GreaterThan(0), "some clients started on another worker than their uid's");
        }
        finally
        {
            clients.ForEach(c => c.Dispose());
        }
    }

    /// <summary>
    /// A worker restarted after a crash, or added, under long-lived connections: with round-robin it used to get only
    /// new clients and sit idle. Now half of the 30 clients move to it while they are busy, each after its first worker
    /// has finished its earlier events; with RebalanceOnJoin off, none does.
    /// </summary>
    [TestCase(true)]
    [TestCase(false)]
    public async Task A_worker_that_joins_takes_a_fair_share_of_the_connected_clients_and_their_events_keep_their_order(bool rebalance)
    {
        var settings = new Dictionary<string, string?> { ["SwooleGateway:Gateway:Routing:RebalanceOnJoin"] = rebalance ? "true" : "false" };
        await using TestCluster cluster = await TestCluster.StartAsync<RoutedHandler>(gateways: 1, workers: 0, gatewaySettings: settings);
        await StartWorker(cluster, "worker-a");
        await cluster.WaitConnectedAsync();

        const int Clients = 30;
        var clients = new List<TcpTestClient>();
        try
        {
            for (int c = 0; c < Clients; c++)
            {
                clients.Add(await TcpTestClient.ConnectAsync(cluster.TcpEndPoint));
            }

            foreach (TcpTestClient client in clients)
            {
                Assert.That(await client.AskAsync("who"), Is.EqualTo("worker:worker-a"));
            }

            // Every client streams numbered messages (each awaits 5 ms) in rounds of five, each sent before the answers
            // to the one before have come (5 to 10 in flight), from before the second worker joins until ten rounds after:
            // the clients that move do so in the middle of their stream, with events still at their first worker.
            int joined = 0;
            Task streams = Task.WhenAll(clients.Select(async client =>
            {
                var replies = new List<string>();
                int sent = 0;
                for (int afterJoin = 0; afterJoin < 10 && sent < 10_000;)
                {
                    afterJoin += Volatile.Read(ref joined);
                    int awaited = sent; // the round before this one: still in flight while this one is sent
                    for (int k = 0; k < 5; k++)
                    {
                        sent++;
                        await client.SendAsync("slow:" + sent);
                    }

                    if (awaited > 0)
                    {
                        replies.AddRange(await client.ReceiveUntilAsync("n:" + awaited));
                        replies.Add("n:" + awaited);
                    }
                }

                replies.AddRange(await client.ReceiveUntilAsync("n:" + sent));
                replies.Add("n:" + sent);

                Assert.That(replies, Is.EqualTo(Enumerable.Range(1, sent).Select(i => "n:" + i)), "answers in order");
            }));
            await StartWorker(cluster, "worker-b");
            await cluster.WaitConnectedAsync();
            Volatile.Write(ref joined, 1);
            await streams.WaitAsync(TimeSpan.FromSeconds(30));

            List<string?> now = await WhoServes(clients);

            int onB = now.Count(w => w == "worker:worker-b");
            int midStream = RoutedHandler.Seen.GroupBy(s => s.Client).Count(c => c.Select(s => s.Worker).Distinct().Count() > 1);
            TestContext.Out.WriteLine($"after worker-b joined: {onB} of {Clients} clients on it, {midStream} of them moved in the middle of their stream (RebalanceOnJoin {rebalance})");
            Assert.That(onB, Is.EqualTo(rebalance ? Clients / 2 : 0));
            Assert.That(midStream, Is.EqualTo(onB), "every client that moved had handled events on its first worker and handled the rest on the new one");
            Assert.That(now.Count(w => w == "worker:worker-a"), Is.EqualTo(Clients - onB));
            foreach (IGrouping<string, (string Client, string Worker, int Number)> client in RoutedHandler.Seen.GroupBy(s => s.Client))
            {
                Assert.That(client.Select(s => s.Number), Is.EqualTo(Enumerable.Range(1, client.Count())), $"client {client.Key}'s events in order, each once");
                string last = client.Last().Worker;
                Assert.That(client.SkipWhile(s => s.Worker != last).All(s => s.Worker == last), Is.True, "once moved, it stays");
            }

            if (!rebalance)
            {
                // The setting is live: switched on, the next worker that joins takes its third (switching it moves nobody).
                TestCluster.Reconfigure(cluster.Gateways[0].Host, new() { ["SwooleGateway:Gateway:Routing:RebalanceOnJoin"] = "true" });
                await TimeoutExtensions.WaitUntil(() => cluster.Gateways[0].Server.RebalanceOnJoin, "the setting to be applied");
                Assert.That(await clients[0].AskAsync("who"), Is.EqualTo("worker:worker-a"));
                await StartWorker(cluster, "worker-c");
                await cluster.WaitConnectedAsync();
                List<string?> later = await WhoServes(clients);

                Assert.That(later.Count(w => w == "worker:worker-c"), Is.EqualTo(Clients / 3));
                Assert.That(later.Count(w => w == "worker:worker-b"), Is.Zero);
            }
        }
        finally
        {
            clients.ForEach(c => c.Dispose());
        }
    }

    [Test]
    public async Task A_tagged_listener_sends_its_clients_only_to_workers_with_the_tag_and_holds_them_until_one_connects()
    {
        var settings = new Dictionary<string, string?>
        {
            ["SwooleGateway:Gateway:Listeners:2:Name"] = "iot",
            ["SwooleGateway:Gateway:Listeners:2:Protocol"] = "Tcp",
            ["SwooleGateway:Gateway:Listeners:2:Endpoint"] = "127.0.0.1:0",
            ["SwooleGateway:Gateway:Routing:ListenerTags:iot"] = "iot",
        };
        await using TestCluster cluster = await TestCluster.StartAsync<RoutedHandler>(gateways: 1, workers: 0, gatewaySettings: settings);
        await StartWorker(cluster, "worker-plain");
        await cluster.WaitConnectedAsync();

        using TcpTestClient device = await TcpTestClient.ConnectAsync(cluster.Gateway.ListenerEndPoints["iot"]);
        await device.SendAsync("who");
        await TimeoutExtensions.WaitUntil(() => cluster.Gateway.HeldEvents >= 2, "the device's events to be held (no worker has the tag)");

        await StartWorker(cluster, "worker-iot", tags: ["edge", "iot"]);
        await cluster.WaitConnectedAsync();
        Assert.That(await device.ReceiveAsync(), Is.EqualTo("worker:worker-iot"), "held, then sent to the tagged worker");

        var devices = new List<TcpTestClient>();
        var others = new List<TcpTestClient>();
        try
        {
            for (int i = 0; i < 8; i++)
            {
                devices.Add(await TcpTestClient.ConnectAsync(cluster.Gateway.ListenerEndPoints["iot"]));
            }

            for (int i = 0; i < 8; i++)
            {
                others.Add(await TcpTestClient.ConnectAsync(cluster.TcpEndPoint));
            }

            var deviceWorkers = new List<string?>();
            var otherWorkers = new List<string?>();
            foreach (TcpTestClient client in devices)
            {
                await client.SendAsync("who");
                deviceWorkers.Add(await client.ReceiveAsync());
            }

            foreach (TcpTestClient client in others)
            {
                await client.SendAsync("who");
                otherWorkers.Add(await client.ReceiveAsync());
            }

            Assert.That(deviceWorkers, Has.All.EqualTo("worker:worker-iot"));
            Assert.That(otherWorkers.Distinct().Order().ToArray(), Is.EqualTo(new[] { "worker:worker-iot", "worker:worker-plain" }), "untagged listeners use every worker");
        }
        finally
        {
            devices.ForEach(c => c.Dispose());
            others.ForEach(c => c.Dispose());
        }
    }

    [Test]
    public async Task A_custom_router_from_di_chooses_and_one_that_throws_is_logged_and_routed_around()
    {
        var router = new PickByListener();
        await using TestCluster cluster = await TestCluster.StartAsync<RoutedHandler>(gateways: 1, workers: 0,
            gatewayServices: s => s.AddSingleton<IEventRouter>(router));
        await StartWorker(cluster, "worker-a");
        await StartWorker(cluster, "worker-b");
        await cluster.WaitConnectedAsync();

        for (int i = 0; i < 4; i++)
        {
            using TcpTestClient client = await TcpTestClient.ConnectAsync(cluster.TcpEndPoint);
            await client.SendAsync("who");
            Assert.That(await client.ReceiveAsync(), Is.EqualTo("worker:worker-b"), "the router picks the last worker by name");
        }

        router.Throw = true;
        using TcpTestClient unlucky = await TcpTestClient.ConnectAsync(cluster.TcpEndPoint);
        await unlucky.SendAsync("who");
        Assert.That(await unlucky.ReceiveAsync(), Does.StartWith("worker:"), "served all the same");
        Assert.That(cluster.Logs.Contains("The event router PickByListener failed"), Is.True);
    }

    private static async Task StartWorker(TestCluster cluster, string name, string[]? tags = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["SwooleGateway:Registers:0"] = cluster.RegisterEndPoint.ToString(),
            ["SwooleGateway:Worker:Name"] = name,
        };
        for (int i = 0; i < (tags?.Length ?? 0); i++)
        {
            settings[$"SwooleGateway:Worker:Tags:{i}"] = tags![i];
        }

        await cluster.StartWorkerAsync<RoutedHandler>(settings: settings);
    }

    private static async Task<Dictionary<string, string>> WorkerOfEachUid(List<(string Uid, TcpTestClient Client)> clients)
    {
        var workers = new Dictionary<string, string>();
        foreach ((string uid, TcpTestClient client) in clients)
        {
            await client.SendAsync("who");
            string reply = (await client.ReceiveAsync())!;
            if (workers.TryGetValue(uid, out string? other))
            {
                Assert.That(reply, Is.EqualTo("worker:" + other), $"both clients of {uid} reach one worker");
            }

            workers[uid] = reply["worker:".Length..];
        }

        return workers;
    }

    /// <summary>Each client's answer to <c>who</c>: the worker that handles its events now.</summary>
    private static async Task<List<string?>> WhoServes(List<TcpTestClient> clients)
    {
        var workers = new List<string?>();
        foreach (TcpTestClient client in clients)
        {
            workers.Add(await client.AskAsync("who"));
        }

        return workers;
    }

    private static RoutingWorker[] Workers(params string[] names) => [.. names.Select(name => new RoutingWorker(name, []))];

    /// <summary>Chooses the worker whose name sorts last; throws when told to.</summary>
    private sealed class PickByListener : IEventRouter
    {
        public volatile bool Throw;

        public RoutingInputs Inputs => RoutingInputs.None;

        public RoutingWorker? Choose(RoutingClient client, IReadOnlyList<RoutingWorker> workers) =>
            Throw ? throw new InvalidOperationException("router test failure") : workers.MaxBy(w => w.NodeId, StringComparer.Ordinal);
    }

    /// <summary>
    /// <c>bind:UID</c> binds and answers "bound"; <c>who</c> answers "worker:NAME"; <c>n:I</c> and <c>slow:I</c> (which
    /// awaits 5 ms first) record (client, worker, I) and answer "n:I".
    /// </summary>
    public sealed class RoutedHandler(IOptions<WorkerOptions> options) : GatewayEventHandler
    {
        public static ConcurrentQueue<(string Client, string Worker, int Number)> Seen { get; } = new();

        private readonly string _name = options.Value.Name ?? "?";

        public override async ValueTask OnMessage(string clientId, IReadOnlyDictionary<string, object?>? session, ReadOnlyMemory<byte> payload, EventContext context)
        {
            string text = Encoding.UTF8.GetString(payload.Span);
            if (text.StartsWith("bind:", StringComparison.Ordinal))
            {
                Seen.Enqueue((clientId, _name, 0));
                await Gateway.BindUid(clientId, text[5..]);
                await Gateway.SendToClient(clientId, "bound");
            }
            else if (text == "who")
            {
                await Gateway.SendToClient(clientId, "worker:" + _name);
            }
            else if (text.StartsWith("n:", StringComparison.Ordinal) || text.StartsWith("slow:", StringComparison.Ordinal))
            {
                int number = int.Parse(text[(text.IndexOf(':') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
                if (text[0] == 's')
                {
                    await Task.Delay(5);
                }

                Seen.Enqueue((clientId, _name, number));
                await Gateway.SendToClient(clientId, "n:" + number);
            }
        }
    }
}
