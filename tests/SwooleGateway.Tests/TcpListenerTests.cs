using System.Text;
using Microsoft.Extensions.DependencyInjection;
using SwooleGateway.Gateway;
using SwooleGateway.Tests.Infrastructure;

namespace SwooleGateway.Tests;

[TestFixture]
[CancelAfter(60_000)]
public sealed class TcpListenerTests
{
    private TestCluster _cluster = null!;

    [OneTimeSetUp]
    public async Task SetUp() => _cluster = await TestCluster.StartAsync<EchoSample.EchoHandler>(gatewaySettings: new()
    {
        ["SwooleGateway:Gateway:Listeners:3:Name"] = "len4",
        ["SwooleGateway:Gateway:Listeners:3:Protocol"] = "Tcp",
        ["SwooleGateway:Gateway:Listeners:3:Endpoint"] = "127.0.0.1:0",
        ["SwooleGateway:Gateway:Listeners:3:Framing"] = "LengthPrefixed",
        ["SwooleGateway:Gateway:Listeners:3:LengthIncludesHeader"] = "true",
        ["SwooleGateway:Gateway:Listeners:6:Name"] = "len1",
        ["SwooleGateway:Gateway:Listeners:6:Protocol"] = "Tcp",
        ["SwooleGateway:Gateway:Listeners:6:Endpoint"] = "127.0.0.1:0",
        ["SwooleGateway:Gateway:Listeners:6:Framing"] = "LengthPrefixed",
        ["SwooleGateway:Gateway:Listeners:6:LengthSize"] = "1",
        ["SwooleGateway:Gateway:Listeners:4:Name"] = "raw",
        ["SwooleGateway:Gateway:Listeners:4:Protocol"] = "Tcp",
        ["SwooleGateway:Gateway:Listeners:4:Endpoint"] = "127.0.0.1:0",
        ["SwooleGateway:Gateway:Listeners:4:Framing"] = "Raw",
        ["SwooleGateway:Gateway:Listeners:5:Name"] = "custom",
        ["SwooleGateway:Gateway:Listeners:5:Protocol"] = "Tcp",
        ["SwooleGateway:Gateway:Listeners:5:Endpoint"] = "127.0.0.1:0",
        ["SwooleGateway:Gateway:Listeners:5:Framing"] = "Custom",
        ["SwooleGateway:Gateway:Listeners:5:Framer"] = "semicolon",
        ["SwooleGateway:Gateway:MaxFrameSize"] = "1024",
        ["SwooleGateway:Gateway:Listeners:2:Name"] = "crlf",
        ["SwooleGateway:Gateway:Listeners:2:Protocol"] = "Tcp",
        ["SwooleGateway:Gateway:Listeners:2:Endpoint"] = "127.0.0.1:0",
        ["SwooleGateway:Gateway:Listeners:2:Delimiter"] = "\\r\\n",
    }, gatewayServices: s => s.AddSwooleGatewayFramer("semicolon", () => new SwooleGateway.Gateway.Framing.DelimiterFramer(";"u8.ToArray())));

    [OneTimeTearDown]
    public async Task TearDown() => await _cluster.DisposeAsync();

    [Test]
    public async Task Split_and_coalesced_lines_are_framed_by_the_delimiter()
    {
        using TcpTestClient client = await TcpTestClient.ConnectAsync(_cluster.TcpEndPoint);
        await client.SendRawAsync("ec"u8.ToArray());
        await client.SendRawAsync("ho:a\r\necho:b\necho:"u8.ToArray());
        await client.SendRawAsync("c\n"u8.ToArray());
        Assert.That(await client.ReceiveAsync(), Is.EqualTo("echo:a"), "a trailing \\r is dropped with the \\n delimiter");
        Assert.That(await client.ReceiveAsync(), Is.EqualTo("echo:b"));
        Assert.That(await client.ReceiveAsync(), Is.EqualTo("echo:c"));
    }

    [Test]
    public async Task A_crlf_listener_frames_by_crlf_and_answers_with_crlf()
    {
        using TcpTestClient client = await TcpTestClient.ConnectAsync(_cluster.Gateway.ListenerEndPoints["crlf"]);
        await client.SendRawAsync("echo:x\nstill one\r\n"u8.ToArray());
        byte[] expected = "echo:x\nstill one\r\n"u8.ToArray();
        var received = new byte[expected.Length];
        await client.Stream.ReadExactlyAsync(received).AsTask().DefaultTimeout();
        Assert.That(Encoding.UTF8.GetString(received), Is.EqualTo(Encoding.UTF8.GetString(expected)));
    }

    [Test]
    public async Task Length_prefixed_listener_frames_both_ways_across_split_writes()
    {
        using TcpTestClient client = await TcpTestClient.ConnectAsync(_cluster.Gateway.ListenerEndPoints["len4"]);
        byte[] one = [0, 0, 0, 4 + 6, .. "echo:1"u8];
        byte[] two = [0, 0, 0, 4 + 6, .. "echo:2"u8];
        await client.SendRawAsync([.. one[..3]]);
        await client.SendRawAsync([.. one[3..], .. two[..5]]);
        await client.SendRawAsync([.. two[5..]]);
        var received = new byte[one.Length + two.Length];
        await client.Stream.ReadExactlyAsync(received).AsTask().DefaultTimeout();
        Assert.That(received, Is.EqualTo(one.Concat(two).ToArray()), "replies carry the same 4-byte inclusive prefix");
    }

    [Test]
    public async Task A_message_too_long_for_a_one_byte_prefix_is_skipped_counted_and_logged_and_the_client_stays()
    {
        using TcpTestClient client = await TcpTestClient.ConnectAsync(_cluster.Gateway.ListenerEndPoints["len1"]);
        await client.SendRawAsync([2, .. "me"u8]);
        string id = Encoding.ASCII.GetString(await ReadPrefixed1(client))["me:".Length..];
        var api = _cluster.Workers[0].Service.Api;

        await api.SendToClient(id, new string('x', 300)); // 300 > 255: a 1-byte prefix cannot say it
        await api.SendToClient(id, "after");
        Assert.That(Encoding.ASCII.GetString(await ReadPrefixed1(client)), Is.EqualTo("after"), "the next message still arrives");
        await _cluster.Logs.WaitFor("cannot carry it");
    }

    private static async Task<byte[]> ReadPrefixed1(TcpTestClient client)
    {
        byte[] length = new byte[1];
        await client.Stream.ReadExactlyAsync(length).AsTask().DefaultTimeout();
        byte[] body = new byte[length[0]];
        await client.Stream.ReadExactlyAsync(body).AsTask().DefaultTimeout();
        return body;
    }

    [Test]
    public async Task Length_prefixed_listener_refuses_an_oversized_announcement_from_the_header()
    {
        using TcpTestClient client = await TcpTestClient.ConnectAsync(_cluster.Gateway.ListenerEndPoints["len4"]);
        await client.SendRawAsync([0x7F, 0, 0, 0]);
        Assert.That(await client.ReceiveAsync(), Is.Null);
        await _cluster.Logs.WaitFor("exceeds MaxFrameSize");
    }

    [Test]
    public async Task Raw_listener_passes_bytes_as_they_come()
    {
        using TcpTestClient client = await TcpTestClient.ConnectAsync(_cluster.Gateway.ListenerEndPoints["raw"]);
        await client.SendRawAsync("echo:raw bytes"u8.ToArray());
        var received = new byte["echo:raw bytes".Length];
        await client.Stream.ReadExactlyAsync(received).AsTask().DefaultTimeout();
        Assert.That(Encoding.UTF8.GetString(received), Is.EqualTo("echo:raw bytes"));
    }

    [Test]
    public async Task A_custom_framer_plugs_in_by_name()
    {
        using TcpTestClient client = await TcpTestClient.ConnectAsync(_cluster.Gateway.ListenerEndPoints["custom"]);
        await client.SendRawAsync("echo:a;echo:b;"u8.ToArray());
        var received = new byte["echo:a;echo:b;".Length];
        await client.Stream.ReadExactlyAsync(received).AsTask().DefaultTimeout();
        Assert.That(Encoding.UTF8.GetString(received), Is.EqualTo("echo:a;echo:b;"));
    }

    [Test]
    public async Task A_line_over_the_limit_closes_that_client_with_a_log_line_and_others_carry_on()
    {
        using TcpTestClient good = await TcpTestClient.ConnectAsync(_cluster.TcpEndPoint);
        using TcpTestClient bad = await TcpTestClient.ConnectAsync(_cluster.TcpEndPoint);
        await bad.SendRawAsync(Encoding.ASCII.GetBytes(new string('x', 5000)));
        Assert.That(await bad.ReceiveAsync(), Is.Null, "the gateway closed the connection");
        await _cluster.Logs.WaitFor("no delimiter within 1024 bytes");

        await good.SendAsync("echo:fine");
        Assert.That(await good.ReceiveAsync(), Is.EqualTo("echo:fine"));
    }
}
