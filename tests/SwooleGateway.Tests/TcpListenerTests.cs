using System.Text;
using SwooleGateway.Tests.Infrastructure;

namespace SwooleGateway.Tests;

[TestFixture]
[CancelAfter(60_000)]
public sealed class TcpListenerTests
{
    private TestCluster _cluster = null!;

    [OneTimeSetUp]
    public async Task SetUp() => _cluster = await TestCluster.StartAsync(gatewaySettings: new()
    {
        ["SwooleGateway:Gateway:MaxFrameSize"] = "1024",
        ["SwooleGateway:Gateway:Listeners:2:Name"] = "crlf",
        ["SwooleGateway:Gateway:Listeners:2:Protocol"] = "Tcp",
        ["SwooleGateway:Gateway:Listeners:2:Endpoint"] = "127.0.0.1:0",
        ["SwooleGateway:Gateway:Listeners:2:Delimiter"] = "\\r\\n",
    });

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
