using SwooleGateway.Tests.Infrastructure;

namespace SwooleGateway.Tests;

/// <summary>
/// A worker that leaves gracefully (a reload) loses no event and keeps each client's order: clients streaming
/// through it get every answer, in order, across the handover to the next worker.
/// </summary>
[TestFixture]
[CancelAfter(60_000)]
public sealed class WorkerReloadTests
{
    [Test]
    public async Task Stopping_a_worker_mid_stream_loses_no_message()
    {
        await using TestCluster cluster = await TestCluster.StartAsync(gateways: 1, workers: 2);
        const int Clients = 10;
        const int Messages = 200;
        var sockets = new List<WsTestClient>();
        for (int i = 0; i < Clients; i++)
        {
            sockets.Add(await WsTestClient.ConnectAsync(cluster.WebSocketEndPoint)); // round-robin: some on each worker
        }

        try
        {
            // Each client streams its messages and reads the answers concurrently; halfway through, one worker stops.
            Task[] streams = [.. sockets.Select((socket, c) => Task.Run(async () =>
            {
                Task sending = Task.Run(async () =>
                {
                    for (int m = 0; m < Messages; m++)
                    {
                        await socket.SendAsync($"echo:{c}:{m}");
                        if (m % 20 == 0)
                        {
                            await Task.Yield();
                        }
                    }
                });
                for (int m = 0; m < Messages; m++)
                {
                    Assert.That(await socket.ReceiveAsync(), Is.EqualTo($"echo:{c}:{m}"), $"client {c} message {m}: in order, none lost");
                }

                await sending;
            }))];

            await TimeoutExtensions.WaitUntil(() => cluster.Gateway.ClientCount == Clients, "all clients");
            await cluster.StopAsync(cluster.Workers[0].Host); // graceful: drain, acknowledge, finish, then close
            await Task.WhenAll(streams).WaitAsync(TimeSpan.FromSeconds(30));
            await TimeoutExtensions.WaitUntil(() => cluster.Gateway.WorkerCount == 1, "the stopped worker's link to close");
        }
        finally
        {
            foreach (WsTestClient socket in sockets)
            {
                await socket.DisposeAsync();
            }
        }
    }
}
