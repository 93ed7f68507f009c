using SwooleGateway.Tests.Infrastructure;
using SwooleGateway.Worker;

namespace SwooleGateway.Tests;

/// <summary>
/// What a worker or GatewayClient keeps per gateway does not grow with gateway churn (rolling deploys that give each
/// gateway a new address): the loop of a gateway that is no longer listed ends and is forgotten, and a gateway lost
/// without a goodbye is forgotten once its missing-gateway window has passed.
/// </summary>
[TestFixture]
[CancelAfter(90_000)]
public sealed class GatewayChurnTests
{
    [Test]
    public async Task Gateways_that_come_and_go_leave_nothing_behind()
    {
        await using TestCluster cluster = await TestCluster.StartAsync(gateways: 1, workers: 0);
        await using var client = new GatewayClient(
            new SwooleGateway.Options.SwooleGatewayOptions
            {
                Secret = TestCluster.Secret,
                Registers = [cluster.RegisterEndPoint.ToString()],
                HeartbeatInterval = TimeSpan.FromSeconds(1),
                HeartbeatTimeout = TimeSpan.FromSeconds(5),
                MaxReconnectDelay = TimeSpan.FromMilliseconds(200),
            },
            new WorkerOptions { MissingGatewayWindow = TimeSpan.FromSeconds(1) });
        await client.StartAsync(CancellationToken.None);
        await TimeoutExtensions.WaitUntil(() => client.GatewayCount == 1, "the first gateway");

        // Eight gateways, each on new ports, come and go; half of them are cut off without a goodbye.
        for (int i = 0; i < 8; i++)
        {
            await cluster.StartGatewayAsync();
            (Microsoft.Extensions.Hosting.IHost host, SwooleGateway.Gateway.GatewayServer _) = cluster.Gateways[^1];
            await TimeoutExtensions.WaitUntil(() => client.GatewayCount == 2, "the new gateway");
            if (i % 2 == 1)
            {
                GatewayLink link = client.Directory.Links.First(l => l.Advertised.Port != cluster.Gateway.InternalEndPoint.Port);
                link.Connection.Abort("test: gateway cut off"); // no goodbye: remembered as lost for MissingGatewayWindow
            }

            await cluster.StopAsync(host);
            await TimeoutExtensions.WaitUntil(() => client.GatewayCount == 1, "the gateway to go");
        }

        // The first gateway's loop stays; the others' loops end once the register stops listing them; lost ones expire.
        await TimeoutExtensions.WaitUntil(() => client.Directory.Tracked.Loops == 1, $"the gone gateways' loops to end (tracked {client.Directory.Tracked})");
        await TimeoutExtensions.WaitUntil(() => client.Directory.Targets().Unreachable.Count == 0 && client.Directory.Tracked.Lost == 0,
            $"the lost gateways to be forgotten after the missing-gateway window (tracked {client.Directory.Tracked})");
    }
}
