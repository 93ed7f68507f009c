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
}
