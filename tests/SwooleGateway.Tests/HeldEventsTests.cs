using EchoSample;
using SwooleGateway.Tests.Infrastructure;

namespace SwooleGateway.Tests;

/// <summary>
/// Events held while no worker is connected are bounded in bytes as well as in count, and leave memory after
/// HoldEventsFor even when no worker ever connects (before: bounded by count only, 10,000 × 64 KiB, and expired only
/// when a worker connected).
/// </summary>
[TestFixture]
[CancelAfter(60_000)]
public sealed class HeldEventsTests
{
    [Test]
    public async Task Held_events_are_bounded_in_bytes()
    {
        await using TestCluster cluster = await TestCluster.StartAsync(workers: 0, gatewaySettings: new()
        {
            ["SwooleGateway:Gateway:HoldEventBytesWithoutWorker"] = "1000",
            ["SwooleGateway:Gateway:HoldEventsFor"] = "00:01:00",
        });
        using TcpTestClient client = await TcpTestClient.ConnectAsync(cluster.TcpEndPoint);
        await TimeoutExtensions.WaitUntil(() => cluster.Gateway.HeldEvents == 1, "the connect event to be held");
        await client.SendRawAsync(System.Text.Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat(new string('x', 300) + "\n", 10)))); // one read

        // The connect event and as many 300-byte messages as fit in 1,000 bytes of frames (two); the rest are dropped.
        await TimeoutExtensions.WaitUntil(() => cluster.Gateway.HeldEvents >= 3, "three events held");
        using TcpTestClient second = await TcpTestClient.ConnectAsync(cluster.TcpEndPoint);
        await TimeoutExtensions.WaitUntil(() => cluster.Gateway.ClientCount == 2, "a second client");
        Assert.That(cluster.Gateway.HeldEvents, Is.InRange(3, 4), "1,000 bytes hold the connect events (small) and two of the 300-byte messages, not all twelve events");
    }

    [Test]
    public async Task Held_events_expire_even_when_no_worker_ever_connects()
    {
        await using TestCluster cluster = await TestCluster.StartAsync(workers: 0, gatewaySettings: new()
        {
            ["SwooleGateway:Gateway:HoldEventsFor"] = "00:00:01",
        });
        using TcpTestClient client = await TcpTestClient.ConnectAsync(cluster.TcpEndPoint);
        for (int i = 0; i < 5; i++)
        {
            await client.SendAsync($"echo:{i}");
        }

        await TimeoutExtensions.WaitUntil(() => cluster.Gateway.HeldEvents == 6, "the connect event and five messages to be held");
        await TimeoutExtensions.WaitUntil(() => cluster.Gateway.HeldEvents == 0, "the held events to expire with no worker connected");
        await cluster.Logs.WaitFor("waited for a worker longer than HoldEventsFor");
    }

    [Test]
    public async Task A_client_that_floods_while_no_worker_is_connected_pauses_and_does_not_crowd_out_the_others()
    {
        // Room for 20 held events in all; 5 per client. Without the bound per client, the flooder's events would fill the
        // hold and the other client's would be dropped.
        await using TestCluster cluster = await TestCluster.StartAsync(workers: 0, gatewaySettings: new()
        {
            ["SwooleGateway:Gateway:HoldEventsWithoutWorker"] = "20",
            ["SwooleGateway:Gateway:MaxUnackedEventsPerClient"] = "5",
            ["SwooleGateway:Gateway:HoldEventsFor"] = "00:01:00",
        });
        using TcpTestClient flooder = await TcpTestClient.ConnectAsync(cluster.TcpEndPoint);
        await TimeoutExtensions.WaitUntil(() => cluster.Gateway.HeldEvents == 1, "its connect event held");
        await PacedSends.SendEchoes(flooder.SendAsync, total: 40, paced: 4, () => cluster.Gateway.HeldEvents, from: 1, "events of the flooder held");

        await cluster.Logs.WaitFor("has 5 events no handler has finished");
        using TcpTestClient other = await TcpTestClient.ConnectAsync(cluster.TcpEndPoint);
        for (int m = 0; m < 3; m++)
        {
            await other.SendAsync($"echo:other{m}");
        }

        await TimeoutExtensions.WaitUntil(() => cluster.Gateway.HeldEvents == 9, "the other client's connect and three messages held beside the flooder's five");

        await cluster.StartWorkerAsync<EchoHandler>();
        for (int m = 0; m < 3; m++)
        {
            Assert.That(await other.ReceiveAsync(), Is.EqualTo($"echo:other{m}"), "the other client's events were held, not dropped");
        }

        for (int m = 0; m < 40; m++)
        {
            Assert.That(await flooder.ReceiveAsync(), Is.EqualTo($"echo:{m}"), "the flooder loses nothing: its reads went on once a worker took its events");
        }
    }
}
