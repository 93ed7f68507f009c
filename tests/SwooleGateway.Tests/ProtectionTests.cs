using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using SwooleGateway.Tests.Infrastructure;

namespace SwooleGateway.Tests;

/// <summary>Heartbeats, idle timeouts, per-IP limits, the throttle and slow consumers.</summary>
[TestFixture]
[CancelAfter(60_000)]
public sealed class ProtectionTests
{
    private TestCluster? _cluster;

    [TearDown]
    public async Task TearDown()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }

    /// <summary>Connects and reads until the server closes; a reset seen already while connecting counts as closed.</summary>
    private static async Task<bool> ClosedByServerAsync(System.Net.IPEndPoint endpoint)
    {
        try
        {
            using TcpTestClient client = await TcpTestClient.ConnectAsync(endpoint);
            return await client.ReceiveUntilNullAsync();
        }
        catch (System.Net.Sockets.SocketException)
        {
            return true; // the gateway's reset arrived before the connect completed on our side
        }
    }

    private async Task<TestCluster> Start(Dictionary<string, string?> settings) => _cluster = await TestCluster.StartAsync(gatewaySettings: settings);

    [Test]
    public async Task An_idle_client_is_closed_after_the_idle_timeout_and_an_active_one_is_not()
    {
        TestCluster cluster = await Start(new() { ["SwooleGateway:Gateway:Listeners:1:IdleTimeout"] = "00:00:01" });
        using TcpTestClient idle = await TcpTestClient.ConnectAsync(cluster.TcpEndPoint);
        using TcpTestClient active = await TcpTestClient.ConnectAsync(cluster.TcpEndPoint);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Task<string?> idleEnd = idle.ReceiveAsync();
        while (!idleEnd.IsCompleted && clock.Elapsed < TimeSpan.FromSeconds(5))
        {
            await active.SendAsync("echo:alive");
            Assert.That(await active.ReceiveAsync(), Is.EqualTo("echo:alive"));
            await Task.WhenAny(idleEnd, Task.Delay(300));
        }

        Assert.That(await idleEnd, Is.Null, "the idle client was closed");
        await cluster.Logs.WaitFor("(IdleTimeout)");
        await active.SendAsync("echo:still");
        Assert.That(await active.ReceiveAsync(), Is.EqualTo("echo:still"));
    }

    [Test]
    public async Task WebSocket_pings_keep_a_ponging_client_and_close_a_silent_one()
    {
        TestCluster cluster = await Start(new()
        {
            ["SwooleGateway:Gateway:Listeners:0:PingInterval"] = "00:00:00.300",
            ["SwooleGateway:Gateway:Listeners:0:MaxMissedPings"] = "3",
        });
        await using WsTestClient ponging = await WsTestClient.ConnectAsync(cluster.WebSocketEndPoint);
        Task<string?> pongingReceive = ponging.ReceiveAsync(); // ClientWebSocket answers pings while a receive is pending
        using RawWebSocket silent = await RawWebSocket.ConnectAsync(cluster.WebSocketEndPoint);

        var ping = await silent.ReadFrameAsync();
        Assert.That(ping!.Value.Opcode, Is.EqualTo(0x9), "the server pings");
        Assert.That(await silent.ReadCloseCodeAsync(), Is.EqualTo(1001), "closed after missing pings");
        await cluster.Logs.WaitFor("pings missed");

        await ponging.SendAsync("echo:after pings");
        Assert.That(await pongingReceive, Is.EqualTo("echo:after pings"), "a client that answers pings stays");
    }

    [Test]
    public async Task Tcp_ping_data_is_sent_framed_like_any_message()
    {
        TestCluster cluster = await Start(new()
        {
            ["SwooleGateway:Gateway:Listeners:1:PingInterval"] = "00:00:00.200",
            ["SwooleGateway:Gateway:Listeners:1:PingData"] = "{\"type\":\"ping\"}",
            ["SwooleGateway:Gateway:Listeners:1:MaxMissedPings"] = "100",
        });
        using TcpTestClient client = await TcpTestClient.ConnectAsync(cluster.TcpEndPoint);
        Assert.That(await client.ReceiveAsync(), Is.EqualTo("{\"type\":\"ping\"}"));
    }

    [Test]
    public async Task A_connection_flood_from_one_ip_is_capped_and_logged()
    {
        TestCluster cluster = await Start(new() { ["SwooleGateway:Gateway:MaxConnectionsPerIp"] = "3" });
        var clients = new List<TcpTestClient>();
        for (int i = 0; i < 3; i++)
        {
            clients.Add(await TcpTestClient.ConnectAsync(cluster.TcpEndPoint));
        }

        await TimeoutExtensions.WaitUntil(() => cluster.Gateway.ClientCount == 3, "three clients");
        Assert.That(await ClosedByServerAsync(cluster.TcpEndPoint), Is.True, "the fourth is closed at once");
        await cluster.Logs.WaitFor("MaxConnectionsPerIp");

        clients[0].Dispose();
        await TimeoutExtensions.WaitUntil(() => cluster.Gateway.ClientCount == 2, "a slot to free up");
        using TcpTestClient again = await TcpTestClient.ConnectAsync(cluster.TcpEndPoint);
        await again.SendAsync("echo:room again");
        Assert.That(await again.ReceiveAsync(), Is.EqualTo("echo:room again"));
        foreach (TcpTestClient c in clients.Skip(1))
        {
            c.Dispose();
        }
    }

    /// <summary>
    /// MaxConnections counts a connection from the moment it is accepted, in one atomic step (before: the count of open
    /// clients was read at accept and a client joined it only after its handshake, so ten clients accepted together all
    /// passed a limit of five). Those beyond the limit are refused or wait in the listen backlog; once one leaves, the
    /// next client is served.
    /// </summary>
    [Test]
    public async Task MaxConnections_holds_for_clients_that_arrive_together()
    {
        TestCluster cluster = await Start(new() { ["SwooleGateway:Gateway:MaxConnections"] = "5" });
        const string Upgrade = "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
        var sockets = new List<RawWebSocket>();
        try
        {
            for (int i = 0; i < 10; i++)
            {
                sockets.Add(await RawWebSocket.ConnectAsync(cluster.WebSocketEndPoint, upgrade: false)); // all arrive before any upgrade
            }

            List<Task<string>> upgrades = [.. sockets.Select(s => s.SendUpgradeAsync(Upgrade))];
            Func<int> upgraded = () => upgrades.Count(u => u.IsCompletedSuccessfully && u.Result.StartsWith("HTTP/1.1 101", StringComparison.Ordinal));
            await TimeoutExtensions.WaitUntil(() => upgraded() >= 5, "five clients to be upgraded");
            await Task.WhenAny(Task.WhenAll(upgrades), Task.Delay(TimeSpan.FromSeconds(1))); // give a sixth every chance to get in
            Assert.That(upgraded(), Is.EqualTo(5), "no more than MaxConnections admitted");
            Assert.That(cluster.Gateway.ClientCount, Is.EqualTo(5));

            sockets[upgrades.FindIndex(u => u.IsCompletedSuccessfully && u.Result.StartsWith("HTTP/1.1 101", StringComparison.Ordinal))].Dispose();
            await TimeoutExtensions.WaitUntil(() => cluster.Gateway.ClientCount == 4 || upgraded() == 6, "one to leave (or a waiting client to take its place at once)");
            using RawWebSocket next = await RawWebSocket.ConnectAsync(cluster.WebSocketEndPoint, upgrade: false);
            Task<string> nextUpgrade = next.SendUpgradeAsync(Upgrade); // it, or a client still waiting in the backlog, takes the place
            await TimeoutExtensions.WaitUntil(() => upgraded() == 6 || (nextUpgrade.IsCompletedSuccessfully && nextUpgrade.Result.StartsWith("HTTP/1.1 101", StringComparison.Ordinal)),
                "a client to take the free place");
            Assert.That(cluster.Gateway.ClientCount, Is.LessThanOrEqualTo(5));
        }
        finally
        {
            foreach (RawWebSocket socket in sockets)
            {
                socket.Dispose();
            }
        }
    }

    [Test]
    public async Task A_message_flood_is_throttled_per_ip_and_the_throttle_changes_while_running()
    {
        TestCluster cluster = await Start(new()
        {
            ["SwooleGateway:Gateway:Throttle:TokensPerInterval"] = "5",
            ["SwooleGateway:Gateway:Throttle:RefillInterval"] = "00:10:00",
            ["SwooleGateway:Gateway:Throttle:Action"] = "Drop",
        });
        using TcpTestClient client = await TcpTestClient.ConnectAsync(cluster.TcpEndPoint);
        for (int i = 0; i < 10; i++)
        {
            await client.SendAsync($"echo:{i}");
        }

        for (int i = 0; i < 5; i++)
        {
            Assert.That(await client.ReceiveAsync(), Is.EqualTo($"echo:{i}"));
        }

        await cluster.Logs.WaitFor("Throttling 127.0.0.1");

        // Raise the limit while running (configuration reload): the next message goes through, the connection was kept.
        var config = (IConfigurationRoot)cluster.Gateways[0].Host.Services.GetRequiredService<IConfiguration>();
        config["SwooleGateway:Gateway:Throttle:TokensPerInterval"] = "0";
        config.Reload();
        await TimeoutExtensions.WaitUntilAsync(async () =>
        {
            await client.SendAsync("echo:after");
            return await client.ReceiveAsync(TimeSpan.FromSeconds(1)) == "echo:after";
        }, "the throttle to be lifted");
    }

    [Test]
    public async Task Throttle_close_all_from_ip_closes_every_client_of_that_address()
    {
        TestCluster cluster = await Start(new()
        {
            ["SwooleGateway:Gateway:Throttle:TokensPerInterval"] = "3",
            ["SwooleGateway:Gateway:Throttle:RefillInterval"] = "00:10:00",
            ["SwooleGateway:Gateway:Throttle:Action"] = "CloseAllFromIp",
        });
        using TcpTestClient quiet = await TcpTestClient.ConnectAsync(cluster.TcpEndPoint);
        using TcpTestClient flooder = await TcpTestClient.ConnectAsync(cluster.TcpEndPoint);
        await TimeoutExtensions.WaitUntil(() => cluster.Gateway.ClientCount == 2, "both clients");
        for (int i = 0; i < 5; i++)
        {
            await flooder.SendAsync("echo:x");
        }

        Assert.That(await flooder.ReceiveUntilNullAsync(), Is.True);
        Assert.That(await quiet.ReceiveAsync(), Is.Null, "the quiet client of the same IP is closed too");
    }

    [Test]
    public async Task A_close_with_a_last_message_delivers_it_over_tcp_graceful_and_forced()
    {
        // The message and the close come in one batch of commands: the message is written unflushed (batched per
        // client) and the close must still send it.
        TestCluster cluster = await Start(new());
        var api = cluster.Workers[0].Service.Api;
        foreach (bool force in new[] { false, true })
        {
            using TcpTestClient client = await TcpTestClient.ConnectAsync(cluster.TcpEndPoint);
            await client.SendAsync("me");
            string id = (await client.ReceiveAsync())!["me:".Length..];
            await api.CloseClient(id, lastMessage: "END"u8.ToArray(), force: force);
            Assert.That(await client.ReceiveAsync(), Is.EqualTo("END"), force ? "forced" : "graceful");
            Assert.That(await client.ReceiveAsync(), Is.Null, "then the connection closes");
        }
    }

    [Test]
    public async Task A_graceful_close_delivers_everything_queued_behind_a_slow_socket_first()
    {
        TestCluster cluster = await Start(new() { ["SwooleGateway:Gateway:MaxPendingBytesPerClient"] = "67108864" });
        using TcpTestClient slow = await TcpTestClient.ConnectAsync(cluster.TcpEndPoint);
        await slow.SendAsync("me");
        string id = (await slow.ReceiveAsync())!["me:".Length..];
        var api = cluster.Workers[0].Service.Api;

        // 16 MiB while the client is not reading: more than the kernel buffers, so most of it waits in our queue.
        string chunk = new('q', 64 * 1024);
        for (int i = 0; i < 256; i++)
        {
            await api.SendToClient(id, chunk);
        }

        await api.CloseClient(id, lastMessage: "END"u8.ToArray());
        int chunks = 0;
        string? last = null;
        while (await slow.ReceiveAsync() is { } line)
        {
            chunks += line == chunk ? 1 : 0;
            last = line;
        }

        Assert.That(chunks, Is.EqualTo(256), "nothing queued was dropped by the close");
        Assert.That(last, Is.EqualTo("END"), "the last message comes last, then the close");
    }

    [TestCase("Close")]
    [TestCase("DropNewest")]
    [TestCase("DropOldest")]
    public async Task A_client_that_never_reads_is_bounded_and_does_not_slow_the_others(string policy)
    {
        TestCluster cluster = await Start(new()
        {
            ["SwooleGateway:Gateway:MaxPendingBytesPerClient"] = "262144",
            ["SwooleGateway:Gateway:SlowClientPolicy"] = policy,
        });
        using TcpTestClient stalled = await TcpTestClient.ConnectAsync(cluster.TcpEndPoint); // never reads
        using TcpTestClient healthy = await TcpTestClient.ConnectAsync(cluster.TcpEndPoint);
        await stalled.SendAsync("me");
        await healthy.SendAsync("me");
        await TimeoutExtensions.WaitUntil(() => cluster.Gateway.ClientCount == 2, "both clients");
        var api = cluster.Workers[0].Service.Api;
        string healthyId = (await healthy.ReceiveAsync())!["me:".Length..];

        // Push far more than the kernel buffers and the queue can hold at the stalled client (bounded: 400 × 64 KiB).
        byte[] chunk = Encoding.ASCII.GetBytes(new string('z', 64 * 1024));
        int afterFirstLog = 0;
        for (int i = 0; i < 600 && afterFirstLog < 100; i++)
        {
            await api.SendToAll(chunk, [healthyId]);
            if (afterFirstLog > 0 || cluster.Logs.Contains("slow client"))
            {
                afterFirstLog++; // keep pushing: every one of these is dropped or refused
            }
        }

        await cluster.Logs.WaitFor(policy == "Close" ? "Closing slow client" : "dropping messages");
        Assert.That(cluster.Logs.Lines.Count(l => l.Contains("dropping messages", StringComparison.Ordinal)), Is.LessThanOrEqualTo(1),
            "logged once per episode, not once per dropped message");
        await healthy.SendAsync("echo:unaffected");
        Assert.That(await healthy.ReceiveAsync(), Is.EqualTo("echo:unaffected"));
        Assert.That(GC.GetTotalMemory(false), Is.LessThan(2L * 1024 * 1024 * 1024), "memory stays bounded");
    }
}
