using System.Diagnostics;
using SwooleGateway.Tests.Infrastructure;
using SwooleGateway.Worker;

namespace SwooleGateway.Tests;

/// <summary>
/// A gateway stopped gracefully (a rolling deploy) is not a failure: it tells its workers and API clients it is leaving,
/// so cluster-wide queries stop counting it at once instead of reporting it missing for the missing-gateway window.
/// </summary>
[TestFixture]
[CancelAfter(60_000)]
public sealed class GatewayLeavingTests
{
    [Test]
    public async Task Queries_stay_exact_while_a_gateway_stops_gracefully()
    {
        await using TestCluster cluster = await TestCluster.StartAsync(gateways: 2, workers: 1);
        GatewayClient client = await cluster.StartClientAsync();
        await using WsTestClient stays = await WsTestClient.ConnectAsync(cluster.Gateways[0].Server.ListenerEndPoints["ws"]);
        await using WsTestClient goes = await WsTestClient.ConnectAsync(cluster.Gateways[1].Server.ListenerEndPoints["ws"]);
        await TimeoutExtensions.WaitUntil(() => cluster.Gateways.Sum(g => g.Server.ClientCount) == 2, "both clients");
        Assert.That(await client.Api.GetClientCount(), Is.EqualTo(2));

        Task stopping = cluster.StopAsync(cluster.Gateways[1].Host);
        var failures = new List<string>();
        var clock = Stopwatch.StartNew();
        long exactAfterMs = -1;
        while (clock.Elapsed < TimeSpan.FromSeconds(3))
        {
            try
            {
                int count = await client.Api.GetClientCount();
                if (count == 1 && exactAfterMs < 0)
                {
                    exactAfterMs = clock.ElapsedMilliseconds;
                }
            }
            catch (Exception ex) when (ex is IncompleteResultException or GatewayUnavailableException)
            {
                failures.Add($"{clock.ElapsedMilliseconds} ms: {ex.GetType().Name}: {ex.Message}");
            }

            await Task.Delay(50);
        }

        await stopping;
        TestContext.Out.WriteLine($"exact after {exactAfterMs} ms; failures: {failures.Count}");
        Assert.That(failures, Is.Empty, "a planned stop does not look like a failure");
        Assert.That(exactAfterMs, Is.InRange(0, 1000), "exact within a second");
    }

    /// <summary>
    /// On a graceful stop the gateway stops accepting and reading, lets the events its clients already sent be handled
    /// (within ShutdownGracePeriod), delivers their answers, and only then closes its clients with 1001.
    /// </summary>
    [TestCase(true)]
    [TestCase(false)]
    public async Task A_stopping_gateway_delivers_the_answers_its_clients_wait_for_then_closes_them_with_1001(bool websocket)
    {
        ProbeHandler.Reset();
        await using TestCluster cluster = await TestCluster.StartAsync<ProbeHandler>(gateways: 1, workers: 1);
        System.Net.IPEndPoint ws = cluster.WebSocketEndPoint;
        System.Net.IPEndPoint tcp = cluster.TcpEndPoint;
        await using WsTestClient wsClient = await WsTestClient.ConnectAsync(ws);
        using TcpTestClient tcpClient = await TcpTestClient.ConnectAsync(tcp);
        if (websocket)
        {
            await wsClient.SendAsync("delay:400:answered");
        }
        else
        {
            await tcpClient.SendAsync("delay:400:answered");
        }

        await TimeoutExtensions.WaitUntil(() => ProbeHandler.Handled.Any(h => h.Event.StartsWith("delay:", StringComparison.Ordinal)), "the request to reach the worker");
        Task stopping = cluster.StopAsync(cluster.Gateways[0].Host);
        await cluster.Logs.WaitFor("stopping: told workers and registers it is leaving");

        // No new clients while it stops: the listener is closed.
        using (var refused = new System.Net.Sockets.TcpClient())
        {
            Assert.ThrowsAsync(Is.InstanceOf<System.Net.Sockets.SocketException>(), async () => await refused.ConnectAsync(tcp.Address, tcp.Port));
        }

        if (websocket)
        {
            Assert.That(await wsClient.ReceiveAsync(TimeSpan.FromSeconds(10)), Is.EqualTo("answered"), "the answer in flight arrives");
            Assert.That(await wsClient.ReceiveAsync(TimeSpan.FromSeconds(10)), Is.Null);
            Assert.That(wsClient.Socket.CloseStatus, Is.EqualTo(System.Net.WebSockets.WebSocketCloseStatus.EndpointUnavailable), "1001, going away");
        }
        else
        {
            Assert.That(await tcpClient.ReceiveAsync(TimeSpan.FromSeconds(10)), Is.EqualTo("answered"), "the answer in flight arrives");
            Assert.That(await tcpClient.ReceiveUntilNullAsync(), Is.True, "then a clean close");
        }

        await stopping.WaitAsync(TimeSpan.FromSeconds(20));
    }
}
