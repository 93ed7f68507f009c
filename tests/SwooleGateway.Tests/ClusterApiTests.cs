using System.Net;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using SwooleGateway.Gateway;
using SwooleGateway.Protocol;
using SwooleGateway.Tests.Infrastructure;
using SwooleGateway.Worker;

namespace SwooleGateway.Tests;

/// <summary>
/// Every Gateway API operation across a cluster of two gateways and two workers, driven from a GatewayClient
/// outside the workers, with WebSocket clients on both gateways. Results are asserted exactly.
/// </summary>
[TestFixture]
[NonParallelizable]
[CancelAfter(60_000)]
public sealed class ClusterApiTests
{
    private TestCluster _cluster = null!;
    private GatewayClient _client = null!;
    private GatewayApi _api = null!;
    private readonly List<WsTestClient> _sockets = [];

    [SetUp]
    public async Task SetUp()
    {
        _cluster = await TestCluster.StartAsync<RecordingHandler>(gateways: 2, workers: 2, gatewayServices: s =>
            s.AddSwooleGatewayCommand("client-count", (ctx, payload) =>
                ValueTask.FromResult<byte[]?>(Encoding.UTF8.GetBytes($"{Encoding.UTF8.GetString(payload.Span)}:{ctx.ClientCount}")))
             .AddSwooleGatewayCommand("throws", (_, _) => throw new InvalidOperationException("test: a custom command that fails")));
        _client = await _cluster.StartClientAsync(pageSize: 2);
        _api = _client.Api;
    }

    [TearDown]
    public async Task TearDown()
    {
        foreach (WsTestClient s in _sockets)
        {
            await s.DisposeAsync();
        }

        _sockets.Clear();
        await _cluster.DisposeAsync();
    }

    /// <summary>Connects a client to gateway <paramref name="gateway"/> and returns it with its id.</summary>
    private async Task<(WsTestClient Socket, string Id)> Connect(int gateway)
    {
        WsTestClient socket = await WsTestClient.ConnectAsync(_cluster.Gateways[gateway].Server.ListenerEndPoints["ws"]);
        _sockets.Add(socket);
        await socket.SendAsync("me");
        string id = (await socket.ReceiveAsync())!["me:".Length..];
        return (socket, id);
    }

    private static async Task ExpectNothingMore(WsTestClient socket)
    {
        // A fence: the next message this client sees must be its own echo, so nothing else was queued before it.
        await socket.SendAsync("echo:fence");
        Assert.That(await socket.ReceiveAsync(), Is.EqualTo("echo:fence"));
    }

    private async Task<List<string>> All(IAsyncEnumerable<string> items)
    {
        var list = new List<string>();
        await foreach (string item in items.WithCancellation(CancellationToken.None))
        {
            list.Add(item);
        }

        return list;
    }

    [Test]
    public async Task SendToClient_and_SendToClients_reach_clients_on_either_gateway()
    {
        var (a, aId) = await Connect(0);
        var (b, bId) = await Connect(1);
        var (c, _) = await Connect(1);

        Assert.That(await _api.IsOnline(aId), Is.True);
        Assert.That(await _api.IsOnline(bId), Is.True);
        await _api.SendToClient(bId, "to b");
        Assert.That(await b.ReceiveAsync(), Is.EqualTo("to b"));
        await _api.SendToClients([aId, bId], "to a and b"u8.ToArray());
        Assert.That(await a.ReceiveAsync(), Is.EqualTo("to a and b"));
        Assert.That(await b.ReceiveAsync(), Is.EqualTo("to a and b"));
        await ExpectNothingMore(c);
    }

    [Test]
    public async Task SendToAll_with_exclusions_spans_both_gateways()
    {
        var (a, aId) = await Connect(0);
        var (b, _) = await Connect(0);
        var (c, cId) = await Connect(1);
        var (d, _) = await Connect(1);

        await _api.SendToAll("all but a and c", [aId, cId]);
        Assert.That(await b.ReceiveAsync(), Is.EqualTo("all but a and c"));
        Assert.That(await d.ReceiveAsync(), Is.EqualTo("all but a and c"));
        await ExpectNothingMore(a);
        await ExpectNothingMore(c);
    }

    [Test]
    public async Task Uid_bound_on_both_gateways_multi_device()
    {
        var (a, aId) = await Connect(0);
        var (b, bId) = await Connect(1);
        var (other, otherId) = await Connect(1);
        await _api.BindUid(aId, "alice");
        await _api.BindUid(bId, "alice");
        await _api.BindUid(otherId, "bob");

        Assert.That(await _api.IsUidOnline("alice"), Is.True);
        Assert.That(await _api.IsUidOnline("nobody"), Is.False);
        Assert.That(await All(_api.GetClientListByUid("alice")), Is.EquivalentTo(new[] { aId, bId }));
        Assert.That(await _api.GetUidByClient(bId), Is.EqualTo("alice"));

        await _api.SendToUid("alice", "hi alice", [aId]);
        Assert.That(await b.ReceiveAsync(), Is.EqualTo("hi alice"));
        await ExpectNothingMore(a);
        await _api.SendToUids(["alice", "bob"], "hi both"u8.ToArray());
        Assert.That(await a.ReceiveAsync(), Is.EqualTo("hi both"));
        Assert.That(await b.ReceiveAsync(), Is.EqualTo("hi both"));
        Assert.That(await other.ReceiveAsync(), Is.EqualTo("hi both"));

        // Exact counts: alice is on two gateways but counts once.
        Assert.That(await _api.GetUidCount(), Is.EqualTo(2));
        Assert.That(await _api.GetUidCount(exact: false), Is.EqualTo(3), "the fast estimate counts alice once per gateway");
        Assert.That(await All(_api.GetUidList()), Is.EqualTo(new[] { "alice", "bob" }));
        Assert.That(await All(_api.GetUidList(unique: false)), Is.EquivalentTo(new[] { "alice", "alice", "bob" }));

        // The last bind wins; unbind removes.
        await _api.BindUid(aId, "carol");
        Assert.That(await All(_api.GetClientListByUid("alice")), Is.EqualTo(new[] { bId }));
        await _api.UnbindUid(bId);
        Assert.That(await _api.IsUidOnline("alice"), Is.False);
        Assert.That(await _api.GetUidByClient(bId), Is.Null);
    }

    [Test]
    public async Task Groups_spanning_both_gateways()
    {
        var (a, aId) = await Connect(0);
        var (b, bId) = await Connect(0);
        var (c, cId) = await Connect(1);
        var (d, dId) = await Connect(1);
        await _api.JoinGroup(aId, "room");
        await _api.JoinGroup(cId, "room");
        await _api.JoinGroup(dId, "room");
        await _api.JoinGroup(dId, "lobby");
        await _api.JoinGroup(bId, "lobby");
        await _api.BindUid(aId, "u1");
        await _api.BindUid(cId, "u1");
        await _api.BindUid(dId, "u2");

        Assert.That(await _api.GetClientCountByGroup("room"), Is.EqualTo(3));
        Assert.That(await All(_api.GetClientListByGroup("room")), Is.EquivalentTo(new[] { aId, cId, dId }));
        Assert.That(await _api.GetUidCountByGroup("room"), Is.EqualTo(2));
        Assert.That(await All(_api.GetUidListByGroup("room")), Is.EqualTo(new[] { "u1", "u2" }));
        Assert.That(await All(_api.GetGroupList()), Is.EqualTo(new[] { "lobby", "room" }));
        Assert.That(await All(_api.GetGroupList(unique: false)), Is.EquivalentTo(new[] { "lobby", "lobby", "room", "room" }));

        await _api.SendToGroup("room", "to room", [cId]);
        Assert.That(await a.ReceiveAsync(), Is.EqualTo("to room"));
        Assert.That(await d.ReceiveAsync(), Is.EqualTo("to room"));
        await ExpectNothingMore(b);
        await ExpectNothingMore(c);

        await _api.SendToGroups(["room", "lobby"], "to both"u8.ToArray());
        foreach (WsTestClient s in new[] { a, b, c, d })
        {
            Assert.That(await s.ReceiveAsync(), Is.EqualTo("to both"));
            await ExpectNothingMore(s); // d is in both groups and still gets it once
        }

        await _api.LeaveGroup(aId, "room");
        Assert.That(await _api.GetClientCountByGroup("room"), Is.EqualTo(2));
        await _api.Ungroup("room");
        Assert.That(await _api.GetClientCountByGroup("room"), Is.EqualTo(0));
        Assert.That(await All(_api.GetGroupList()), Is.EqualTo(new[] { "lobby" }), "an empty group disappears");
    }

    [Test]
    public async Task Client_list_pages_across_gateways_and_resumes_after_a_client()
    {
        var ids = new List<string>();
        for (int i = 0; i < 5; i++)
        {
            ids.Add((await Connect(0)).Id);
            ids.Add((await Connect(1)).Id);
        }

        List<string> all = await All(_api.GetClientList());
        Assert.That(all, Is.EquivalentTo(ids), "page size 2: three pages per gateway, then the next gateway");
        Assert.That(all, Is.Unique);
        Assert.That(await _api.GetClientCount(), Is.EqualTo(10));

        // Resume after the 6th item: that crosses from the first gateway to the second.
        List<string> rest = await All(_api.GetClientList(all[5]));
        Assert.That(rest, Is.EqualTo(all[6..]));
        List<string> fromFirstGateway = await All(_api.GetClientList(all[2]));
        Assert.That(fromFirstGateway, Is.EqualTo(all[3..]));
    }

    [Test]
    public async Task Sessions_set_merge_get_delete_and_ride_on_every_event()
    {
        var (a, aId) = await Connect(0);
        var (b, bId) = await Connect(1);
        await _api.SetSession(aId, new Dictionary<string, object?> { ["name"] = "ann", ["level"] = 1 });
        await _api.UpdateSession(aId, new Dictionary<string, object?> { ["level"] = 2, ["city"] = "rome" });
        IReadOnlyDictionary<string, object?>? session = await _api.GetSession(aId);
        Assert.That(session!.Keys, Is.EquivalentTo(new[] { "name", "level", "city" }));
        Assert.That(session["name"], Is.EqualTo("ann"));
        Assert.That(Convert.ToInt32(session["level"]), Is.EqualTo(2));

        await a.SendAsync("get:city");
        Assert.That(await a.ReceiveAsync(), Is.EqualTo("session:city=rome"), "the event carried the merged session");

        await _api.SetSession(aId, new Dictionary<string, object?> { ["only"] = "this" });
        await a.SendAsync("get:name");
        Assert.That(await a.ReceiveAsync(), Is.EqualTo("session:name=(none)"), "SetSession replaces");

        await _api.JoinGroup(aId, "g");
        await _api.JoinGroup(bId, "g");
        await _api.SetSession(bId, new Dictionary<string, object?> { ["b"] = true });
        var sessions = new Dictionary<string, IReadOnlyDictionary<string, object?>?>();
        await foreach ((string id, IReadOnlyDictionary<string, object?>? s) in _api.GetSessionsByGroup("g"))
        {
            sessions[id] = s;
        }

        Assert.That(sessions.Keys, Is.EquivalentTo(new[] { aId, bId }));
        Assert.That(sessions[aId]!["only"], Is.EqualTo("this"));
        Assert.That(sessions[bId]!["b"], Is.EqualTo(true));

        await _api.DeleteSession(aId);
        Assert.That(await _api.GetSession(aId), Is.Null);
        await a.SendAsync("get:only");
        Assert.That(await a.ReceiveAsync(), Is.EqualTo("session:only=(none)"));
    }

    [Test]
    public async Task Client_info_reports_every_field()
    {
        var (a, aId) = await Connect(1);
        await _api.BindUid(aId, "info-user");
        await _api.JoinGroup(aId, "g1");
        await _api.JoinGroup(aId, "g2");
        await _api.SetSession(aId, new Dictionary<string, object?> { ["k"] = "v" });
        await _api.SendToClient(aId, "hello");
        Assert.That(await a.ReceiveAsync(), Is.EqualTo("hello"));

        ClientInfo? info = await _api.GetClientInfo(aId);
        Assert.That(info, Is.Not.Null);
        Assert.That(info!.RemoteAddress, Is.EqualTo("127.0.0.1"));
        Assert.That(info.RemotePort, Is.GreaterThan(0));
        Assert.That(info.Uid, Is.EqualTo("info-user"));
        Assert.That(info.Groups, Is.EquivalentTo(new[] { "g1", "g2" }));
        Assert.That(info.Session!["k"], Is.EqualTo("v"));
        Assert.That(info.Transport, Is.EqualTo("websocket"));
        Assert.That(info.Listener, Is.EqualTo("ws"));
        Assert.That(info.ConnectedAt, Is.EqualTo(DateTimeOffset.UtcNow).Within(TimeSpan.FromMinutes(1)));
        Assert.That(info.MessagesIn, Is.EqualTo(1), "the 'me' message");
        Assert.That(info.MessagesOut, Is.EqualTo(2), "'me:' reply and 'hello'");
        Assert.That(info.BytesIn, Is.EqualTo(2));

        ClientInfo? onlyUid = await _api.GetClientInfo(aId, ClientInfoFlags.Uid);
        Assert.That(onlyUid!.Uid, Is.EqualTo("info-user"));
        Assert.That(onlyUid.RemoteAddress, Is.Null);
        Assert.That(onlyUid.Groups, Is.Null);
    }

    [Test]
    public async Task Close_graceful_with_a_last_message_forced_and_the_close_event_payload()
    {
        var (a, aId) = await Connect(0);
        var (b, bId) = await Connect(1);
        await _api.BindUid(aId, "closing-user");
        await _api.JoinGroup(aId, "x");
        await _api.JoinGroup(aId, "y");
        await _api.SetSession(aId, new Dictionary<string, object?> { ["who"] = "a" });

        await _api.CloseClient(aId, lastMessage: "goodbye"u8.ToArray());
        Assert.That(await a.ReceiveAsync(), Is.EqualTo("goodbye"));
        Assert.That(await a.ReceiveAsync(), Is.Null, "then the server closes");

        await TimeoutExtensions.WaitUntil(() => RecordingHandler.Closed.ContainsKey(aId), "the close event");
        CloseInfo closed = RecordingHandler.Closed[aId];
        Assert.That(closed.Uid, Is.EqualTo("closing-user"));
        Assert.That(closed.Groups, Is.EquivalentTo(new[] { "x", "y" }));
        Assert.That(closed.Session!["who"], Is.EqualTo("a"));

        Assert.That(await _api.IsOnline(aId), Is.False);
        Assert.That(await _api.IsUidOnline("closing-user"), Is.False, "closing unbinds");
        Assert.That(await _api.GetClientCountByGroup("x"), Is.EqualTo(0), "closing leaves groups");

        await _api.CloseClient(bId, force: true);
        Assert.That(async () => await b.ReceiveAsync(), Throws.InstanceOf<System.Net.WebSockets.WebSocketException>().Or.Null);
        await TimeoutExtensions.WaitUntil(() => RecordingHandler.Closed.ContainsKey(bId), "the forced close event");
    }

    [Test]
    public async Task Unknown_malformed_and_stale_client_ids_have_defined_results()
    {
        var (a, aId) = await Connect(0);
        await a.SendAsync("echo:x");
        await a.ReceiveAsync();
        await a.DisposeAsync();
        _sockets.Remove(a);
        await TimeoutExtensions.WaitUntil(() => RecordingHandler.Closed.ContainsKey(aId), "the client to be gone");

        // Stale (the connection is gone): queries answer false/null, sends and mutations are no-ops.
        Assert.That(await _api.IsOnline(aId), Is.False);
        Assert.That(await _api.GetSession(aId), Is.Null);
        Assert.That(await _api.GetClientInfo(aId), Is.Null);
        Assert.That(await _api.GetUidByClient(aId), Is.Null);
        await _api.SendToClient(aId, "into the void");
        await _api.BindUid(aId, "ghost");
        Assert.That(await _api.IsUidOnline("ghost"), Is.False);

        // Malformed: ArgumentException (IsOnline answers false).
        Assert.That(await _api.IsOnline("nope"), Is.False);
        Assert.ThrowsAsync<ArgumentException>(async () => await _api.SendToClient("nope", "x"));
        Assert.ThrowsAsync<ArgumentException>(async () => await _api.GetSession("nope"));

        // A gateway nobody knows: GatewayUnavailableException (IsOnline answers false).
        string foreign = ClientId.Encode(new IPEndPoint(IPAddress.Parse("10.9.9.9"), 2900), 42);
        Assert.That(await _api.IsOnline(foreign), Is.False);
        Assert.ThrowsAsync<GatewayUnavailableException>(async () => await _api.SendToClient(foreign, "x"));
        Assert.ThrowsAsync<GatewayUnavailableException>(async () => await _api.GetClientInfo(foreign));
    }

    [Test]
    public async Task Custom_commands_run_on_the_gateway_of_a_client_or_on_all()
    {
        var (_, aId) = await Connect(0);
        await Connect(1);
        await Connect(1);

        byte[]? one = await _api.CallCommand(aId, "client-count", "q"u8.ToArray());
        Assert.That(Encoding.UTF8.GetString(one!), Is.EqualTo("q:1"));

        IReadOnlyDictionary<string, byte[]?> all = await _api.CallCommandOnAll("client-count", "all"u8.ToArray());
        Assert.That(all.Values.Select(v => Encoding.UTF8.GetString(v!)), Is.EquivalentTo(new[] { "all:1", "all:2" }));

        GatewayCommandException? unknown = Assert.ThrowsAsync<GatewayCommandException>(async () => await _api.CallCommand(aId, "no-such-command", default));
        Assert.That(unknown!.Reason, Is.EqualTo(GatewayRefusal.UnknownCommand));
        Assert.That(unknown.Gateway, Is.EqualTo(_cluster.Gateways[0].Server.InternalEndPoint.ToString()));

        // On all gateways, a refusal is the command's problem, not a missing gateway: rethrown with the stack trace of the call.
        GatewayCommandException? failed = Assert.ThrowsAsync<GatewayCommandException>(async () => await _api.CallCommandOnAll("throws", default));
        Assert.That(failed!.Reason, Is.EqualTo(GatewayRefusal.Failed));
        Assert.That(failed.StackTrace, Does.Contain("CallCustom").Or.Contain("GatewayLink"), "the original stack trace is kept");
    }

    [Test]
    public async Task The_static_api_and_the_handler_api_are_the_same_cluster()
    {
        var (a, aId) = await Connect(0);
        await SwooleGateway.Worker.Gateway.SendToClient(aId, "via static");
        Assert.That(await a.ReceiveAsync(), Is.EqualTo("via static"));
        Assert.That(await SwooleGateway.Worker.Gateway.GetClientCount(), Is.EqualTo(1));
    }
}
