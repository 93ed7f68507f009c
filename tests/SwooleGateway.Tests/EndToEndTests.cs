using System.Net.WebSockets;
using System.Text;
using SwooleGateway.Tests.Infrastructure;

namespace SwooleGateway.Tests;

/// <summary>Register + gateway + worker in the test process, driven by real WebSocket and TCP clients.</summary>
[TestFixture]
[CancelAfter(60_000)]
public sealed class EndToEndTests
{
    private TestCluster _cluster = null!;

    [SetUp]
    public async Task SetUp() => _cluster = await TestCluster.StartAsync();

    [TearDown]
    public async Task TearDown() => await _cluster.DisposeAsync();

    [Test]
    public async Task Echo_round_trips_over_websocket_and_tcp()
    {
        await using WsTestClient ws = await WsTestClient.ConnectAsync(_cluster.WebSocketEndPoint);
        using TcpTestClient tcp = await TcpTestClient.ConnectAsync(_cluster.TcpEndPoint);

        await ws.SendAsync("echo:hello ws");
        await tcp.SendAsync("echo:hello tcp");

        Assert.That(await ws.ReceiveAsync(), Is.EqualTo("echo:hello ws"));
        Assert.That(await tcp.ReceiveAsync(), Is.EqualTo("echo:hello tcp"));
    }

    [Test]
    public async Task Echo_of_text_comes_back_as_a_text_frame_and_binary_as_binary()
    {
        await using WsTestClient ws = await WsTestClient.ConnectAsync(_cluster.WebSocketEndPoint);
        await ws.Socket.SendAsync(Encoding.UTF8.GetBytes("echo:text"), WebSocketMessageType.Text, true, CancellationToken.None).DefaultTimeout();
        var buffer = new byte[64];
        WebSocketReceiveResult result = await ws.Socket.ReceiveAsync(buffer, CancellationToken.None).DefaultTimeout();
        Assert.That(result.MessageType, Is.EqualTo(WebSocketMessageType.Text));

        byte[] binary = [.. "echo:"u8, 0xFF, 0x00, 0xFE];
        await ws.Socket.SendAsync(binary, WebSocketMessageType.Binary, true, CancellationToken.None).DefaultTimeout();
        result = await ws.Socket.ReceiveAsync(buffer, CancellationToken.None).DefaultTimeout();
        Assert.That(result.MessageType, Is.EqualTo(WebSocketMessageType.Binary));
        Assert.That(buffer[..result.Count], Is.EqualTo(binary));
    }

    [Test]
    public async Task Broadcast_from_either_transport_reaches_every_client_including_the_sender()
    {
        await using WsTestClient ws = await WsTestClient.ConnectAsync(_cluster.WebSocketEndPoint);
        using TcpTestClient tcp = await TcpTestClient.ConnectAsync(_cluster.TcpEndPoint);
        await WaitForClients(2);

        await ws.SendAsync("bcast:from ws");
        Assert.That(await ws.ReceiveAsync(), Is.EqualTo("bcast:from ws"));
        Assert.That(await tcp.ReceiveAsync(), Is.EqualTo("bcast:from ws"));

        await tcp.SendAsync("bcast:from tcp");
        Assert.That(await ws.ReceiveAsync(), Is.EqualTo("bcast:from tcp"));
        Assert.That(await tcp.ReceiveAsync(), Is.EqualTo("bcast:from tcp"));
    }

    [Test]
    public async Task Uid_and_group_sends_reach_exactly_the_right_connections()
    {
        await using WsTestClient aliceWs = await WsTestClient.ConnectAsync(_cluster.WebSocketEndPoint);
        using TcpTestClient aliceTcp = await TcpTestClient.ConnectAsync(_cluster.TcpEndPoint);
        await using WsTestClient bob = await WsTestClient.ConnectAsync(_cluster.WebSocketEndPoint);
        using TcpTestClient carol = await TcpTestClient.ConnectAsync(_cluster.TcpEndPoint);

        await aliceWs.SendAsync("uid:alice");
        Assert.That(await aliceWs.ReceiveAsync(), Is.EqualTo("ok:uid:alice"));
        await aliceTcp.SendAsync("uid:alice");
        Assert.That(await aliceTcp.ReceiveAsync(), Is.EqualTo("ok:uid:alice"));
        await bob.SendAsync("join:room");
        Assert.That(await bob.ReceiveAsync(), Is.EqualTo("ok:join:room"));
        await carol.SendAsync("join:room");
        Assert.That(await carol.ReceiveAsync(), Is.EqualTo("ok:join:room"));

        await carol.SendAsync("touid:alice:for alice");
        Assert.That(await aliceWs.ReceiveAsync(), Is.EqualTo("for alice"));
        Assert.That(await aliceTcp.ReceiveAsync(), Is.EqualTo("for alice"));

        await aliceWs.SendAsync("togroup:room:for room");
        Assert.That(await bob.ReceiveAsync(), Is.EqualTo("for room"));
        Assert.That(await carol.ReceiveAsync(), Is.EqualTo("for room"));

        // Nobody received what was not theirs: a marker echo is the very next message everyone sees.
        await aliceWs.SendAsync("echo:m");
        Assert.That(await aliceWs.ReceiveAsync(), Is.EqualTo("echo:m"));
        await aliceTcp.SendAsync("echo:m");
        Assert.That(await aliceTcp.ReceiveAsync(), Is.EqualTo("echo:m"));
        await bob.SendAsync("echo:m");
        Assert.That(await bob.ReceiveAsync(), Is.EqualTo("echo:m"));
        await carol.SendAsync("echo:m");
        Assert.That(await carol.ReceiveAsync(), Is.EqualTo("echo:m"));
    }

    [Test]
    public async Task Last_bind_wins_and_close_unbinds_and_leaves_groups()
    {
        await using WsTestClient a = await WsTestClient.ConnectAsync(_cluster.WebSocketEndPoint);
        await using WsTestClient probe = await WsTestClient.ConnectAsync(_cluster.WebSocketEndPoint);
        await a.SendAsync("uid:first");
        await a.ReceiveUntilAsync("ok:uid:first");
        await a.SendAsync("uid:second");
        await a.ReceiveUntilAsync("ok:uid:second");
        await a.SendAsync("join:g");
        await a.ReceiveUntilAsync("ok:join:g");

        await probe.SendAsync("online:first");
        Assert.That(await probe.ReceiveAsync(), Is.EqualTo("online:first:false"));
        await probe.SendAsync("online:second");
        Assert.That(await probe.ReceiveAsync(), Is.EqualTo("online:second:true"));
        await probe.SendAsync("groupcount:g");
        Assert.That(await probe.ReceiveAsync(), Is.EqualTo("groupcount:g:1"));

        await a.SendAsync("close");
        Assert.That(await a.ReceiveAsync(), Is.EqualTo("bye"));
        Assert.That(await a.ReceiveAsync(), Is.Null, "the server closes the connection");
        await WaitForClients(1);

        await probe.SendAsync("online:second");
        Assert.That(await probe.ReceiveAsync(), Is.EqualTo("online:second:false"));
        await probe.SendAsync("groupcount:g");
        Assert.That(await probe.ReceiveAsync(), Is.EqualTo("groupcount:g:0"));
    }

    [Test]
    public async Task Client_count_and_session_round_trip()
    {
        await using WsTestClient a = await WsTestClient.ConnectAsync(_cluster.WebSocketEndPoint);
        using TcpTestClient b = await TcpTestClient.ConnectAsync(_cluster.TcpEndPoint);
        await WaitForClients(2);

        await a.SendAsync("count");
        Assert.That(await a.ReceiveAsync(), Is.EqualTo("count:2"));

        await b.SendAsync("set:name=ann");
        Assert.That(await b.ReceiveAsync(), Is.EqualTo("ok:set:name"));
        await b.SendAsync("set:city=rome");
        Assert.That(await b.ReceiveAsync(), Is.EqualTo("ok:set:city"));
        await b.SendAsync("get:name");
        Assert.That(await b.ReceiveAsync(), Is.EqualTo("session:name=ann"), "UpdateSession merges and the next event carries the session");
        await b.SendAsync("get:city");
        Assert.That(await b.ReceiveAsync(), Is.EqualTo("session:city=rome"));
        await a.SendAsync("get:name");
        Assert.That(await a.ReceiveAsync(), Is.EqualTo("session:name=(none)"), "sessions are per client");
    }

    [Test]
    public async Task Api_session_get_set_delete_from_outside_a_handler()
    {
        await using WsTestClient a = await WsTestClient.ConnectAsync(_cluster.WebSocketEndPoint);
        await a.SendAsync("me");
        string me = (await a.ReceiveAsync())!["me:".Length..];
        var api = _cluster.Workers[0].Service.Api;

        await api.SetSession(me, new Dictionary<string, object?> { ["level"] = 3, ["name"] = "zed" }).DefaultTimeout();
        IReadOnlyDictionary<string, object?>? session = await api.GetSession(me).DefaultTimeout();
        Assert.That(session, Is.Not.Null);
        Assert.That(Convert.ToInt32(session!["level"]), Is.EqualTo(3));
        Assert.That(session["name"], Is.EqualTo("zed"));

        await api.DeleteSession(me).DefaultTimeout();
        Assert.That(await api.GetSession(me).DefaultTimeout(), Is.Null);
        Assert.That(await api.IsOnline(me).DefaultTimeout(), Is.True);
        Assert.That(await api.IsOnline(me[..^1] + (me[^1] == '0' ? '1' : '0')).DefaultTimeout(), Is.False);
        Assert.That(await api.GetClientCount().DefaultTimeout(), Is.EqualTo(1));
    }

    [Test]
    public async Task Invalid_client_ids_fail_clearly()
    {
        var api = _cluster.Workers[0].Service.Api;
        Assert.ThrowsAsync<ArgumentException>(async () => await api.SendToClient("not-a-client-id", "x"));
        Assert.ThrowsAsync<SwooleGateway.Worker.GatewayUnavailableException>(async () => await api.SendToClient("0a0000010b5401a2258bf6060001", "x"));
        Assert.That(await api.IsOnline("garbage").DefaultTimeout(), Is.False);
    }

    [Test]
    public async Task Sends_to_all_honour_exclusions()
    {
        await using WsTestClient a = await WsTestClient.ConnectAsync(_cluster.WebSocketEndPoint);
        await using WsTestClient b = await WsTestClient.ConnectAsync(_cluster.WebSocketEndPoint);
        await a.SendAsync("me");
        string aId = (await a.ReceiveAsync())!["me:".Length..];
        var api = _cluster.Workers[0].Service.Api;

        await api.SendToAll("not for a", [aId]).DefaultTimeout();
        await api.SendToClient(aId, "direct").DefaultTimeout();
        Assert.That(await b.ReceiveAsync(), Is.EqualTo("not for a"));
        Assert.That(await a.ReceiveAsync(), Is.EqualTo("direct"), "the excluded client got nothing before its direct message");
    }

    [Test]
    public async Task The_sample_command_language_covers_queries_sessions_and_lists()
    {
        await using WsTestClient a = await WsTestClient.ConnectAsync(_cluster.WebSocketEndPoint);
        using TcpTestClient b = await TcpTestClient.ConnectAsync(_cluster.TcpEndPoint);
        await a.SendAsync("me");
        string aId = (await a.ReceiveAsync())!["me:".Length..];
        await b.SendAsync("me");
        string bId = (await b.ReceiveAsync())!["me:".Length..];

        await a.SendAsync("uid:ann");
        await a.ReceiveUntilAsync("ok:uid:ann");
        await a.SendAsync("join:g");
        await a.ReceiveUntilAsync("ok:join:g");
        await b.SendAsync("join:g");
        await b.ReceiveUntilAsync("ok:join:g");
        await a.SendAsync("set:k=v");
        await a.ReceiveUntilAsync("ok:set:k");

        await a.SendAsync("session");
        Assert.That(await a.ReceiveAsync(), Is.EqualTo("session:{k=v}"));
        await a.SendAsync("clients");
        Assert.That((await a.ReceiveAsync())!["clients:".Length..].Split(','), Is.EquivalentTo(new[] { aId, bId }));
        await a.SendAsync("groupclients:g");
        Assert.That((await a.ReceiveAsync())!["groupclients:g:".Length..].Split(','), Is.EquivalentTo(new[] { aId, bId }));
        await a.SendAsync("uidclients:ann");
        Assert.That(await a.ReceiveAsync(), Is.EqualTo("uidclients:ann:" + aId));
        await a.SendAsync("uids");
        Assert.That(await a.ReceiveAsync(), Is.EqualTo("uids:ann"));
        await a.SendAsync("groups");
        Assert.That(await a.ReceiveAsync(), Is.EqualTo("groups:g"));
        await a.SendAsync("uidcount");
        Assert.That(await a.ReceiveAsync(), Is.EqualTo("uidcount:1"));
        await a.SendAsync("groupuidcount:g");
        Assert.That(await a.ReceiveAsync(), Is.EqualTo("groupuidcount:g:1"));
        await a.SendAsync("groupsessions:g");
        Assert.That((await a.ReceiveAsync())!["groupsessions:g:".Length..].Split(';'), Is.EquivalentTo(new[] { $"{aId}={{k=v}}", $"{bId}=(none)" }));
        await a.SendAsync("info");
        Assert.That(await a.ReceiveAsync(), Does.StartWith("info:ip=127.0.0.1;port=").And.Contain(";uid=ann;groups=g;transport=websocket;listener=ws;"));
        await a.SendAsync("del");
        await a.ReceiveUntilAsync("ok:del");
        await a.SendAsync("get:k");
        Assert.That(await a.ReceiveAsync(), Is.EqualTo("session:k=(none)"));
        await a.SendAsync("sendto:" + bId + ":psst");
        Assert.That(await b.ReceiveAsync(), Is.EqualTo("psst"));
        await a.SendAsync("ungroup:g");
        await a.ReceiveUntilAsync("ok:ungroup:g");
        await a.SendAsync("groupcount:g");
        Assert.That(await a.ReceiveAsync(), Is.EqualTo("groupcount:g:0"));
        await a.SendAsync("kick:" + bId);
        Assert.That(await b.ReceiveAsync(), Is.EqualTo("kicked"));
        Assert.That(await b.ReceiveAsync(), Is.Null);
    }

    [Test]
    public async Task Messages_sent_while_no_worker_is_connected_are_held_and_replayed_in_order()
    {
        await using WsTestClient client = await WsTestClient.ConnectAsync(_cluster.WebSocketEndPoint);
        await client.SendAsync("echo:before");
        Assert.That(await client.ReceiveAsync(), Is.EqualTo("echo:before"));

        await _cluster.StopAsync(_cluster.Workers[0].Host);
        await TimeoutExtensions.WaitUntil(() => _cluster.Gateway.WorkerCount == 0, "the worker to leave");
        await client.SendAsync("echo:held-1");
        await client.SendAsync("set:k=v");
        await client.SendAsync("echo:held-2");
        await _cluster.Logs.WaitFor("holding client events");

        await _cluster.StartWorkerAsync<EchoSample.EchoHandler>();
        Assert.That(await client.ReceiveAsync(), Is.EqualTo("echo:held-1"));
        Assert.That(await client.ReceiveAsync(), Is.EqualTo("ok:set:k"));
        Assert.That(await client.ReceiveAsync(), Is.EqualTo("echo:held-2"));
        await _cluster.Logs.WaitFor("Replayed 3 held client events");
        await client.SendAsync("get:k");
        Assert.That(await client.ReceiveAsync(), Is.EqualTo("session:k=v"), "the new worker has the session");
    }

    private Task WaitForClients(int count) =>
        TimeoutExtensions.WaitUntil(() => _cluster.Gateway.ClientCount == count, $"{count} clients on the gateway");
}
