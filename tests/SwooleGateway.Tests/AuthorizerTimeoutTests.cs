using Microsoft.Extensions.DependencyInjection;
using SwooleGateway.Gateway;
using SwooleGateway.Tests.Infrastructure;

namespace SwooleGateway.Tests;

/// <summary>
/// An authorizer that never answers (a hung identity service) is bounded by HandshakeTimeout like the rest of the
/// handshake: the client is refused with a log line that names the authorizer, its per-IP slot is free again, and the
/// gateway still stops promptly.
/// </summary>
[TestFixture]
[CancelAfter(60_000)]
public sealed class AuthorizerTimeoutTests
{
    private const string Upgrade = "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";

    [Test]
    public async Task An_authorizer_that_never_answers_is_cut_off_at_the_handshake_timeout_and_frees_the_slot()
    {
        var never = new TaskCompletionSource<HandshakeDecision>(TaskCreationOptions.RunContinuationsAsynchronously);
        TestCluster cluster = await TestCluster.StartAsync<EchoSample.EchoHandler>(gatewaySettings: new()
        {
            ["SwooleGateway:Gateway:HandshakeTimeout"] = "00:00:01",
            ["SwooleGateway:Gateway:MaxConnectionsPerIp"] = "1",
        }, gatewayServices: s => s.AddSwooleGatewayAuthorizer(handshake =>
            handshake.Transport == "tcp" || handshake.Path == "/hang" ? new ValueTask<HandshakeDecision>(never.Task) : ValueTask.FromResult(HandshakeDecision.Accept())));
        try
        {
            // WebSocket: the upgrade gets no answer from the authorizer; the gateway closes the connection at the deadline.
            using (RawWebSocket hung = await RawWebSocket.ConnectAsync(cluster.WebSocketEndPoint, upgrade: false))
            {
                string response = await hung.SendUpgradeAsync($"GET /hang HTTP/1.1\r\nHost: x\r\n{Upgrade}");
                Assert.That(response, Does.Not.Contain("101"), "not upgraded");
                Assert.That(await hung.ServerClosedAsync(), Is.True, "closed by the gateway");
            }

            await cluster.Logs.WaitFor("the authorizer did not decide within 1 s (HandshakeTimeout)");

            // Its slot is free (MaxConnectionsPerIp = 1): the next client from the same address is served.
            await using (WsTestClient next = await WsTestClient.ConnectAsync(cluster.WebSocketEndPoint))
            {
                await next.SendAsync("echo:after");
                Assert.That(await next.ReceiveAsync(), Is.EqualTo("echo:after"));
            }

            // TCP: the same bound.
            using (TcpTestClient tcp = await TcpTestClient.ConnectAsync(cluster.TcpEndPoint))
            {
                Assert.That(await tcp.ReceiveAsync(TimeSpan.FromSeconds(10)), Is.Null, "closed by the gateway at the deadline");
            }

            await TimeoutExtensions.WaitUntil(() => cluster.Logs.Lines.Count(l => l.Contains("the authorizer did not decide", StringComparison.Ordinal)) >= 2,
                "the TCP client's refusal to be logged");
        }
        finally
        {
            // The authorizer still has not answered: the gateway stops anyway (the cluster's stop is bounded).
            await cluster.DisposeAsync();
            never.TrySetResult(HandshakeDecision.Accept());
        }
    }
}
