using System.Net;
using SwooleGateway.Tests.Infrastructure;

namespace SwooleGateway.Tests;

/// <summary>
/// A cluster on simulated machines (issue 12): a register host, two gateway hosts and a worker host, each a network
/// namespace with its own address, the roles as the built executables with a non-default secret, gateways advertising
/// their host's address; the test process is the clients host. Skipped where namespaces cannot be created.
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
    public async Task Uid_group_sends_and_counts_cross_machines_and_a_partitioned_gateway_is_reported_then_comes_back()
    {
        SimulatedNetwork.SkipUnlessAvailable();
        await using SimulatedNetwork network = await SimulatedNetwork.CreateAsync("register", "gateway1", "gateway2", "worker");
        IPAddress register = network.AddressOf("register");
        string registers = $"--SwooleGateway:Registers:0={register}:1236";
        RoleProcess registerProcess = network.Start("register", "SwooleGateway.Register", [.. Common, $"--SwooleGateway:Register:Listen={register}:1236"]);
        await registerProcess.WaitForOutput("Register listening on");
        RoleProcess gateway1 = StartGateway(network, "gateway1", registers);
        RoleProcess gateway2 = StartGateway(network, "gateway2", registers);
        RoleProcess worker = network.Start("worker", "SwooleGateway.Samples.Echo", [.. Common, registers, "--SwooleGateway:Worker:CallTimeout=00:00:02"]);
        await gateway1.WaitForOutput("(1 workers)");
        await gateway2.WaitForOutput("(1 workers)");

        // Clients on the clients host, one on each gateway machine.
        using TcpTestClient alice = await TcpTestClient.ConnectAsync(new IPEndPoint(network.AddressOf("gateway1"), 7273));
        using TcpTestClient bob = await TcpTestClient.ConnectAsync(new IPEndPoint(network.AddressOf("gateway2"), 7273));
        Assert.That(await Ask(alice, "uid:alice"), Is.EqualTo("ok:uid:alice"));
        Assert.That(await Ask(bob, "uid:bob"), Is.EqualTo("ok:uid:bob"));
        await bob.SendAsync("touid:alice:hello from the other machine");
        Assert.That(await alice.ReceiveAsync(), Is.EqualTo("hello from the other machine"));
        Assert.That(await Ask(bob, "join:room"), Is.EqualTo("ok:join:room"));
        await alice.SendAsync("togroup:room:to the room");
        Assert.That(await bob.ReceiveAsync(), Is.EqualTo("to the room"));
        Assert.That(await Ask(alice, "count"), Is.EqualTo("count:2"));
        string aliceId = (await Ask(alice, "me"))!["me:".Length..];
        string bobId = (await Ask(bob, "me"))!["me:".Length..];
        Assert.That(aliceId, Does.StartWith(ClientIdPrefix(network.AddressOf("gateway1"))), "client ids carry the advertised address");

        // Client-id sends, lists and sessions across the machines.
        await alice.SendAsync($"sendto:{bobId}:direct to bob");
        Assert.That(await bob.ReceiveAsync(), Is.EqualTo("direct to bob"));
        Assert.That((await Ask(alice, "clients"))!.Split(':', 2)[1].Split(','), Is.EquivalentTo(new[] { aliceId, bobId }));
        Assert.That((await Ask(alice, "uids"))!.Split(':', 2)[1].Split(','), Is.EquivalentTo(new[] { "alice", "bob" }));
        Assert.That(await Ask(alice, "uidclients:bob"), Is.EqualTo($"uidclients:bob:{bobId}"));
        Assert.That(await Ask(bob, "set:color=blue"), Is.EqualTo("ok:set:color"));
        Assert.That(await Ask(alice, "groupsessions:room"), Does.Contain(bobId).And.Contain("color=blue"));

        // gateway2's machine drops off the network: queries name it as missing (no answer to "count", a log line), the
        // worker keeps serving alice.
        await network.PartitionAsync("gateway2");
        await alice.SendAsync("count");
        await worker.WaitForOutput("IncompleteResultException", TimeSpan.FromSeconds(30));
        Assert.That(worker.Output, Does.Contain($"{network.AddressOf("gateway2")}:2900"), "the missing gateway is named");
        Assert.That(await Ask(alice, "echo:still served"), Is.EqualTo("echo:still served"));

        // Long enough for the links to gateway2 to be declared dead (heartbeat timeout 3 s): the worker drops them.
        await worker.WaitForOutput($"Lost gateway {network.AddressOf("gateway2")}:2900", TimeSpan.FromSeconds(30));

        // Back on the network: listed again, its client still connected there and reachable from the other machine.
        await network.HealAsync("gateway2");
        await TimeoutExtensions.WaitUntilAsync(async () => await Ask(alice, "count", TimeSpan.FromSeconds(3)) == "count:2", "gateway2 counted again",
            TimeSpan.FromSeconds(60));
        await alice.SendAsync("touid:bob:welcome back");
        Assert.That(await bob.ReceiveAsync(TimeSpan.FromSeconds(20)), Is.EqualTo("welcome back"));
        Assert.That(gateway1.HasExited || gateway2.HasExited || worker.HasExited, Is.False);
    }

    [Test]
    public async Task Losing_a_register_a_worker_or_a_gateway_leaves_the_survivors_clients_served()
    {
        SimulatedNetwork.SkipUnlessAvailable();
        await using SimulatedNetwork network = await SimulatedNetwork.CreateAsync("register1", "register2", "gateway1", "gateway2", "gateway3", "worker1", "worker2");
        string[] registers = [$"--SwooleGateway:Registers:0={network.AddressOf("register1")}:1236", $"--SwooleGateway:Registers:1={network.AddressOf("register2")}:1236"];
        RoleProcess register1 = network.Start("register1", "SwooleGateway.Register", [.. Common, $"--SwooleGateway:Register:Listen={network.AddressOf("register1")}:1236"]);
        RoleProcess register2 = network.Start("register2", "SwooleGateway.Register", [.. Common, $"--SwooleGateway:Register:Listen={network.AddressOf("register2")}:1236"]);
        await register1.WaitForOutput("Register listening on");
        await register2.WaitForOutput("Register listening on");
        RoleProcess[] gateways = [.. new[] { "gateway1", "gateway2", "gateway3" }.Select(h => StartGateway(network, h, registers))];
        string[] workerArgs = [.. Common, .. registers, "--SwooleGateway:Worker:CallTimeout=00:00:02", "--SwooleGateway:Worker:MissingGatewayWindow=00:00:03"];
        RoleProcess worker1 = network.Start("worker1", "SwooleGateway.Samples.Echo", workerArgs);
        RoleProcess worker2 = network.Start("worker2", "SwooleGateway.Samples.Echo", workerArgs);
        foreach (RoleProcess gateway in gateways)
        {
            await gateway.WaitForOutput("(2 workers)");
        }

        var clients = new List<TcpTestClient>();
        try
        {
            foreach (string host in new[] { "gateway1", "gateway2", "gateway3" })
            {
                for (int i = 0; i < 4; i++)
                {
                    clients.Add(await TcpTestClient.ConnectAsync(new IPEndPoint(network.AddressOf(host), 7273)));
                }
            }

            async Task AllServed(IEnumerable<TcpTestClient> who, string what)
            {
                foreach (TcpTestClient client in who)
                {
                    Assert.That(await Ask(client, "echo:" + what, TimeSpan.FromSeconds(15)), Is.EqualTo("echo:" + what), what);
                }
            }

            await AllServed(clients, "start");
            Assert.That(await Ask(clients[0], "count"), Is.EqualTo("count:12"));

            // A register machine cut off, then a register killed: traffic does not notice.
            await network.PartitionAsync("register1");
            await AllServed(clients, "register1 cut off");
            await register2.CrashAsync();
            await AllServed(clients, "both registers gone");
            await network.HealAsync("register1");

            // A worker killed: its clients move to the other worker, nobody disconnects.
            await worker1.CrashAsync();
            await AllServed(clients, "worker1 killed");

            // A gateway killed: its clients are gone; the others are served, queries name it, then recover.
            await gateways[2].CrashAsync();
            List<TcpTestClient> survivors = clients.Take(8).ToList();
            await AllServed(survivors, "gateway3 killed");
            await survivors[0].SendAsync("count");
            await worker2.WaitForOutput("IncompleteResultException", TimeSpan.FromSeconds(30));
            Assert.That(worker2.Output, Does.Contain($"{network.AddressOf("gateway3")}:2900"), "the dead gateway is named");
            await TimeoutExtensions.WaitUntilAsync(async () => await Ask(survivors[1], "count", TimeSpan.FromSeconds(4)) == "count:8",
                "queries to recover without the dead gateway", TimeSpan.FromSeconds(60));
            Assert.That(gateways[0].HasExited || gateways[1].HasExited || worker2.HasExited || register1.HasExited, Is.False);
        }
        finally
        {
            clients.ForEach(c => c.Dispose());
        }
    }

    private static RoleProcess StartGateway(SimulatedNetwork network, string host, params string[] registers)
    {
        IPAddress address = network.AddressOf(host);
        return network.Start(host, "SwooleGateway.Gateway", [.. Common, .. registers,
            "--SwooleGateway:Gateway:Internal=0.0.0.0:2900", $"--SwooleGateway:Gateway:AdvertiseAddress={address}:2900",
            "--SwooleGateway:Gateway:Listeners:0:Endpoint=0.0.0.0:7272", "--SwooleGateway:Gateway:Listeners:1:Endpoint=0.0.0.0:7273"]);
    }

    private static async Task<string?> Ask(TcpTestClient client, string request, TimeSpan? timeout = null)
    {
        await client.SendAsync(request);
        return await client.ReceiveAsync(timeout);
    }

    /// <summary>The start of the client ids of a gateway at <paramref name="address"/>:2900 (IPv4 in hex, then the port).</summary>
    private static string ClientIdPrefix(IPAddress address) => Convert.ToHexString(address.GetAddressBytes()).ToLowerInvariant() + "0b54";
}
