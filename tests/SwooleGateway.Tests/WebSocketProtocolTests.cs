using System.Text;
using SwooleGateway.Tests.Infrastructure;

namespace SwooleGateway.Tests;

/// <summary>The gateway's RFC 6455 engine, driven byte by byte with a hand-rolled client.</summary>
[TestFixture]
[CancelAfter(60_000)]
public sealed class WebSocketProtocolTests
{
    private TestCluster _cluster = null!;

    [OneTimeSetUp]
    public async Task SetUp() => _cluster = await TestCluster.StartAsync(gatewaySettings: new()
    {
        ["SwooleGateway:Gateway:HandshakeTimeout"] = "00:00:01",
        ["SwooleGateway:Gateway:MaxFrameSize"] = "4096",
    });

    [OneTimeTearDown]
    public async Task TearDown() => await _cluster.DisposeAsync();

    [Test]
    public async Task Fragmented_text_message_is_reassembled()
    {
        using RawWebSocket ws = await RawWebSocket.ConnectAsync(_cluster.WebSocketEndPoint);
        await ws.SendAsync([
            .. RawWebSocket.Frame(0x1, "echo:"u8, fin: false),
            .. RawWebSocket.Frame(0x9, "ping in the middle"u8),
            .. RawWebSocket.Frame(0x0, "frag"u8, fin: false),
            .. RawWebSocket.Frame(0x0, "mented"u8, fin: true),
        ]);

        var pong = await ws.ReadFrameAsync();
        Assert.That(pong!.Value.Opcode, Is.EqualTo(0xA), "a ping between fragments is answered at once");
        Assert.That(Encoding.UTF8.GetString(pong.Value.Payload), Is.EqualTo("ping in the middle"));
        var echo = await ws.ReadFrameAsync();
        Assert.That(echo!.Value.Opcode, Is.EqualTo(0x1));
        Assert.That(Encoding.UTF8.GetString(echo.Value.Payload), Is.EqualTo("echo:fragmented"));
    }

    [Test]
    public async Task Payload_split_across_many_tcp_writes_is_parsed()
    {
        using RawWebSocket ws = await RawWebSocket.ConnectAsync(_cluster.WebSocketEndPoint);
        byte[] frame = RawWebSocket.Frame(0x1, Encoding.UTF8.GetBytes("echo:" + new string('x', 300)));
        foreach (byte b in frame)
        {
            await ws.SendAsync([b]);
        }

        var echo = await ws.ReadFrameAsync();
        Assert.That(Encoding.UTF8.GetString(echo!.Value.Payload), Is.EqualTo("echo:" + new string('x', 300)));
    }

    [Test]
    public async Task Close_handshake_echoes_the_status_code()
    {
        using RawWebSocket ws = await RawWebSocket.ConnectAsync(_cluster.WebSocketEndPoint);
        await ws.SendAsync(RawWebSocket.Frame(0x8, [0x0F, 0xA0])); // 4000
        Assert.That(await ws.ReadCloseCodeAsync(), Is.EqualTo(4000));
        Assert.That(await ws.ServerClosedAsync(), Is.True);
    }

    [TestCase(false, 0x1, 0, 1002, TestName = "Unmasked_client_frame_gets_1002")]
    [TestCase(true, 0x3, 0, 1002, TestName = "Reserved_opcode_gets_1002")]
    [TestCase(true, 0x1, 0x40, 1002, TestName = "Reserved_bit_without_extension_gets_1002")]
    public async Task Protocol_violations_close_with_the_rfc_code(bool masked, int opcode, int rsv, int expected)
    {
        using RawWebSocket ws = await RawWebSocket.ConnectAsync(_cluster.WebSocketEndPoint);
        await ws.SendAsync(RawWebSocket.Frame((byte)opcode, "echo:x"u8, masked: masked, rsv: (byte)rsv));
        Assert.That(await ws.ReadCloseCodeAsync(), Is.EqualTo(expected));
        Assert.That(await ws.ServerClosedAsync(), Is.True);
        await _cluster.Logs.WaitFor("Closing client");
    }

    [Test]
    public async Task Invalid_utf8_in_a_text_frame_gets_1007()
    {
        using RawWebSocket ws = await RawWebSocket.ConnectAsync(_cluster.WebSocketEndPoint);
        await ws.SendAsync(RawWebSocket.Frame(0x1, [(byte)'e', 0xC3, 0x28]));
        Assert.That(await ws.ReadCloseCodeAsync(), Is.EqualTo(1007));
        await _cluster.Logs.WaitFor("not valid UTF-8");
    }

    [Test]
    public async Task Oversized_frame_gets_1009_before_its_body_arrives()
    {
        using RawWebSocket ws = await RawWebSocket.ConnectAsync(_cluster.WebSocketEndPoint);
        byte[] frame = RawWebSocket.Frame(0x2, new byte[5000]);
        await ws.SendAsync(frame[..14]); // header only: the limit is checked from the header
        Assert.That(await ws.ReadCloseCodeAsync(), Is.EqualTo(1009));
        await _cluster.Logs.WaitFor("larger than MaxFrameSize");
    }

    [Test]
    public async Task Oversized_fragmented_message_gets_1009()
    {
        using RawWebSocket ws = await RawWebSocket.ConnectAsync(_cluster.WebSocketEndPoint);
        await ws.SendAsync([.. RawWebSocket.Frame(0x2, new byte[3000], fin: false), .. RawWebSocket.Frame(0x0, new byte[3000], fin: true)]);
        Assert.That(await ws.ReadCloseCodeAsync(), Is.EqualTo(1009));
    }

    [Test]
    public async Task Continuation_without_a_message_gets_1002()
    {
        using RawWebSocket ws = await RawWebSocket.ConnectAsync(_cluster.WebSocketEndPoint);
        await ws.SendAsync(RawWebSocket.Frame(0x0, "x"u8));
        Assert.That(await ws.ReadCloseCodeAsync(), Is.EqualTo(1002));
    }

    [Test]
    public async Task Bad_upgrade_request_gets_an_http_error_and_is_logged()
    {
        using RawWebSocket ws = await RawWebSocket.ConnectAsync(_cluster.WebSocketEndPoint, upgrade: false);
        string response = await ws.SendUpgradeAsync("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        Assert.That(response, Does.StartWith("HTTP/1.1 426"));
        Assert.That(await ws.ServerClosedAsync(), Is.True);
        await _cluster.Logs.WaitFor("not a WebSocket upgrade");
    }

    [Test]
    public async Task Garbage_instead_of_an_upgrade_is_refused()
    {
        using RawWebSocket ws = await RawWebSocket.ConnectAsync(_cluster.WebSocketEndPoint, upgrade: false);
        await ws.SendAsync([.. Enumerable.Range(0, 200).Select(i => (byte)(i * 7)), .. "\r\n\r\n"u8]);
        Assert.That(await ws.ServerClosedAsync(), Is.True);
    }

    [Test]
    public async Task Slowloris_handshake_is_closed_after_the_handshake_timeout()
    {
        using RawWebSocket ws = await RawWebSocket.ConnectAsync(_cluster.WebSocketEndPoint, upgrade: false);
        await ws.SendAsync("GET / HTTP/1.1\r\nHost: x\r\n"u8.ToArray());
        Assert.That(await ws.ServerClosedAsync(), Is.True);
        await _cluster.Logs.WaitFor("HandshakeTimeout");
    }

    [Test]
    public async Task A_broken_client_does_not_touch_another()
    {
        await using WsTestClient good = await WsTestClient.ConnectAsync(_cluster.WebSocketEndPoint);
        using RawWebSocket bad = await RawWebSocket.ConnectAsync(_cluster.WebSocketEndPoint);
        await bad.SendAsync(RawWebSocket.Frame(0x1, "echo:x"u8, masked: false));
        Assert.That(await bad.ReadCloseCodeAsync(), Is.EqualTo(1002));
        await good.SendAsync("echo:still here");
        Assert.That(await good.ReceiveAsync(), Is.EqualTo("echo:still here"));
    }
}
