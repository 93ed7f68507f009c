using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using SwooleGateway.Options;
using SwooleGateway.Protocol;
using SwooleGateway.Tests.Infrastructure;
using SwooleGateway.Transport;

namespace SwooleGateway.Tests;

/// <summary>Hostile or broken peers on the register's and gateway's internal ports.</summary>
[TestFixture]
[CancelAfter(60_000)]
public sealed class InternalPortTests
{
    private TestCluster _cluster = null!;
    private SocketTransport _sockets = null!;

    [SetUp]
    public async Task SetUp()
    {
        _cluster = await TestCluster.StartAsync(gatewaySettings: new() { ["SwooleGateway:HandshakeTimeout"] = "00:00:01" });
        _sockets = new SocketTransport();
    }

    [TearDown]
    public async Task TearDown()
    {
        _sockets.Dispose();
        await _cluster.DisposeAsync();
    }

    private IPEndPoint GatewayInternal => _cluster.Gateway.InternalEndPoint;

    [Test]
    public async Task Wrong_secret_is_refused_on_both_sides_with_a_log_line()
    {
        var options = new SwooleGatewayOptions { Secret = "wrong" };
        HandshakeException ex = Assert.ThrowsAsync<HandshakeException>(() =>
            InternalConnection.ConnectAsync(_sockets, GatewayInternal, "worker", "intruder", options, NullLogger.Instance, CancellationToken.None).DefaultTimeout())!;
        Assert.That(ex.Message, Does.Contain("wrong secret"));
        Assert.That(ex.Permanent, Is.True);
        await _cluster.Logs.WaitFor("Refused internal peer");
        Assert.That(_cluster.Logs.Contains("intruder"), Is.True);
        await AssertClusterStillServes();
    }

    [Test]
    public async Task Register_refuses_a_wrong_secret_too()
    {
        var options = new SwooleGatewayOptions { Secret = "wrong" };
        Assert.ThrowsAsync<HandshakeException>(() =>
            InternalConnection.ConnectAsync(_sockets, _cluster.RegisterEndPoint, "gateway", "fake-gw", options, NullLogger.Instance, CancellationToken.None).DefaultTimeout());
        await _cluster.Logs.WaitFor("fake-gw");
        Assert.That(_cluster.Register!.Gateways, Has.Count.EqualTo(1), "the refused peer announced nothing");
    }

    [TestCase("gateway")]
    [TestCase("register")]
    public async Task Garbage_on_an_internal_port_is_logged_and_closed(string target)
    {
        IPEndPoint endpoint = target == "gateway" ? GatewayInternal : _cluster.RegisterEndPoint;
        using var client = new TcpClient(AddressFamily.InterNetwork);
        await client.ConnectAsync(endpoint).WaitAsync(TimeoutExtensions.Default);
        NetworkStream stream = client.GetStream();
        await stream.WriteAsync("GET / HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray()).AsTask().DefaultTimeout();
        Assert.That(await ReadsToEnd(stream), Is.True, "the server closed the connection");
        await _cluster.Logs.WaitFor("handshake failed");
        await AssertClusterStillServes();
    }

    [Test]
    public async Task A_peer_that_sends_nothing_is_closed_after_the_handshake_timeout()
    {
        using var client = new TcpClient(AddressFamily.InterNetwork);
        await client.ConnectAsync(GatewayInternal).WaitAsync(TimeoutExtensions.Default);
        Assert.That(await ReadsToEnd(client.GetStream()), Is.True);
        await _cluster.Logs.WaitFor("no valid handshake within");
    }

    [Test]
    public async Task A_malformed_frame_from_an_authenticated_worker_closes_only_that_link()
    {
        var options = new SwooleGatewayOptions { Secret = TestCluster.Secret };
        InternalConnection link = await InternalConnection.ConnectAsync(_sockets, GatewayInternal, "worker", "broken-worker", options, NullLogger.Instance, CancellationToken.None).DefaultTimeout();
        Task run = link.RunAsync(new IgnoreFrames(), CancellationToken.None);
        await TimeoutExtensions.WaitUntil(() => _cluster.Gateway.WorkerCount == 2, "the fake worker to be registered");

        link.TrySend([0, 0, 0, 3, 0xC1, 0xC1, 0xC1]); // 0xC1 is never valid MessagePack
        await run.DefaultTimeout();
        await _cluster.Logs.WaitFor("protocol error");
        await TimeoutExtensions.WaitUntil(() => _cluster.Gateway.WorkerCount == 1, "the broken link to be dropped");
        await AssertClusterStillServes();
    }

    [Test]
    public async Task An_oversized_internal_frame_closes_the_link_before_its_body_is_read()
    {
        var options = new SwooleGatewayOptions { Secret = TestCluster.Secret };
        InternalConnection link = await InternalConnection.ConnectAsync(_sockets, GatewayInternal, "worker", "big-worker", options, NullLogger.Instance, CancellationToken.None).DefaultTimeout();
        Task run = link.RunAsync(new IgnoreFrames(), CancellationToken.None);
        link.TrySend([0x7F, 0xFF, 0xFF, 0xFF]);
        await run.DefaultTimeout();
        await _cluster.Logs.WaitFor("exceeds the limit");
        await AssertClusterStillServes();
    }

    [Test]
    public async Task A_worker_that_disconnects_mid_frame_is_logged_and_clients_stay_connected()
    {
        await using WsTestClient client = await WsTestClient.ConnectAsync(_cluster.WebSocketEndPoint);
        var options = new SwooleGatewayOptions { Secret = TestCluster.Secret };
        InternalConnection link = await InternalConnection.ConnectAsync(_sockets, GatewayInternal, "worker", "half-worker", options, NullLogger.Instance, CancellationToken.None).DefaultTimeout();
        Task run = link.RunAsync(new IgnoreFrames(), CancellationToken.None);
        await TimeoutExtensions.WaitUntil(() => _cluster.Gateway.WorkerCount == 2, "the fake worker to be registered");

        link.TrySend([0, 0, 0, 100, 0x93, 0x30]); // announces 100 bytes, sends 2
        link.Abort("test: vanish mid-frame");
        await run.DefaultTimeout();
        await _cluster.Logs.WaitFor("in the middle of a frame");
        await TimeoutExtensions.WaitUntil(() => _cluster.Gateway.WorkerCount == 1, "the half worker to be dropped");

        for (int i = 0; i < 5; i++)
        {
            await client.SendAsync($"echo:{i}");
            Assert.That(await client.ReceiveAsync(), Is.EqualTo($"echo:{i}"));
        }
    }

    private async Task AssertClusterStillServes()
    {
        await using WsTestClient client = await WsTestClient.ConnectAsync(_cluster.WebSocketEndPoint);
        await client.SendAsync("echo:alive");
        Assert.That(await client.ReceiveAsync(), Is.EqualTo("echo:alive"));
    }

    private static async Task<bool> ReadsToEnd(NetworkStream stream)
    {
        var buffer = new byte[1024];
        try
        {
            while (await stream.ReadAsync(buffer).AsTask().DefaultTimeout() > 0)
            {
            }

            return true;
        }
        catch (IOException)
        {
            return true;
        }
    }
}
