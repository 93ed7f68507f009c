using System.Diagnostics;
using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging.Abstractions;
using SwooleGateway.Options;
using SwooleGateway.Protocol;
using SwooleGateway.Tests.Infrastructure;
using SwooleGateway.Transport;
using SwooleGateway.Worker;

namespace SwooleGateway.Tests;

/// <summary>A gateway that is alive (answers pings) but stops answering commands: queries time out and name it.</summary>
[TestFixture]
[CancelAfter(60_000)]
public sealed class UnresponsiveGatewayTests
{
    private TestCluster _cluster = null!;
    private SocketTransport _sockets = null!;
    private IConnectionListener _muteListener = null!;
    private CancellationTokenSource _stop = null!;

    [SetUp]
    public async Task SetUp()
    {
        _stop = new CancellationTokenSource();
        _cluster = await TestCluster.StartAsync(gateways: 1, workers: 1);
        _sockets = new SocketTransport();
        _muteListener = await _sockets.BindAsync(new IPEndPoint(IPAddress.Loopback, 0), CancellationToken.None);
        var options = new SwooleGatewayOptions { Secret = TestCluster.Secret };
        _ = Task.Run(async () =>
        {
            while (await _muteListener.AcceptAsync(_stop.Token) is { } transport)
            {
                InternalConnection? link = await InternalConnection.AcceptAsync(transport, "gateway", "mute-gateway", _ => true, options, NullLogger.Instance, _stop.Token);
                _ = link?.RunAsync(new IgnoreFrames(), _stop.Token); // swallows every command: alive, but never answers
            }
        });
        InternalConnection toRegister = await InternalConnection.ConnectAsync(_sockets, _cluster.RegisterEndPoint, "gateway", "mute-gateway", options, NullLogger.Instance, _stop.Token);
        toRegister.TrySend(new SwooleGateway.Protocol.Messages.AnnounceFrame(MuteAddress, "mute-gateway"));
        _ = toRegister.RunAsync(new IgnoreFrames(), _stop.Token);
    }

    private string MuteAddress => _muteListener.EndPoint.ToString()!;

    [TearDown]
    public async Task TearDown()
    {
        await _stop.CancelAsync();
        _stop.Dispose();
        await _muteListener.DisposeAsync();
        _sockets.Dispose();
        await _cluster.DisposeAsync();
    }

    [Test]
    public async Task A_query_returns_within_its_timeout_and_names_the_gateway_that_did_not_answer()
    {
        GatewayClient client = await ConnectClient();
        await using WsTestClient socket = await WsTestClient.ConnectAsync(_cluster.WebSocketEndPoint);

        var clock = Stopwatch.StartNew();
        IncompleteResultException ex = Assert.ThrowsAsync<IncompleteResultException>(() => client.Api.GetClientCount())!;
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(3)), "the 1 s call timeout bounds the query");
        Assert.That(ex.MissingGateways, Is.EqualTo(new[] { MuteAddress }));
        Assert.That(ex.PartialResult, Is.EqualTo(new List<int> { 1 }), "what the healthy gateway said");
        Assert.That(ex.Message, Does.Contain(MuteAddress));

        Assert.ThrowsAsync<IncompleteResultException>(async () =>
        {
            await foreach (string _ in client.Api.GetClientList())
            {
            }
        });
        Assert.ThrowsAsync<IncompleteResultException>(() => client.Api.IsUidOnline("anyone"));
    }

    [Test]
    public async Task A_send_to_everyone_still_reaches_the_healthy_gateway()
    {
        GatewayClient client = await ConnectClient();
        await using WsTestClient socket = await WsTestClient.ConnectAsync(_cluster.WebSocketEndPoint);
        await TimeoutExtensions.WaitUntil(() => _cluster.Gateway.ClientCount == 1, "the client to connect");
        await client.Api.SendToAll("still flowing");
        Assert.That(await socket.ReceiveAsync(), Is.EqualTo("still flowing"));
    }

    private async Task<GatewayClient> ConnectClient()
    {
        GatewayClient client = await _cluster.StartClientAsync(callTimeout: TimeSpan.FromSeconds(1));
        await TimeoutExtensions.WaitUntil(() => client.GatewayCount == 2, "the client to link both gateways, the mute one included");
        return client;
    }
}
