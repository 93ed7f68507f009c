using System.Buffers;
using System.Text;
using MessagePack;
using SwooleGateway.Gateway.Clients;
using SwooleGateway.Protocol;
using SwooleGateway.Protocol.Commands;

namespace SwooleGateway.Tests.Protocol;

/// <summary>
/// The contract of every Gateway API operation: what the worker's API sends, what the gateway answers in a given state, what
/// the API then returns. Clients 41, 42 and 43 are connected to the harness's gateway; <c>Id(n)</c> is client n's id.
/// A test checks that every command type has a case here.
/// </summary>
public static class ContractCases
{
    private static readonly byte[] Hello = "hello"u8.ToArray();
    private static readonly ReadOnlySequence<byte> HelloBytes = new(Hello);
    private static readonly byte[] RoomSession = MessagePackSerializer.Serialize(new Dictionary<string, object?> { ["room"] = "lobby" });

    public static IEnumerable<ContractCase> All()
    {
        // ---- sends ----
        yield return new ContractCase<SendToClientCommand, NoResult>
        {
            Call = api => Done(api.SendToClient(Id(42), "hello")),
            Command = new(42, HelloBytes, SendFlags.Text),
            WantsReply = false,
            Effect = async g => Assert.That(await g.ReceivedAsync(42, 1), Is.EqualTo(new[] { "hello" })),
        };
        yield return new ContractCase<SendToClientsCommand, NoResult>
        {
            Call = api => Done(api.SendToClients([Id(41), Id(43)], Hello)),
            Command = new(new ULongList(new ulong[] { 41, 43 }), HelloBytes, SendFlags.Auto),
            WantsReply = false,
            Effect = async g =>
            {
                Assert.That(await g.ReceivedAsync(41, 1), Is.EqualTo(new[] { "hello" }));
                Assert.That(await g.ReceivedAsync(43, 1), Is.EqualTo(new[] { "hello" }));
                Assert.That(g.ReceivedNothing(42), Is.True);
            },
        };
        yield return new ContractCase<SendToUidCommand, NoResult>
        {
            Arrange = g =>
            {
                g.Store.BindUid(g.Client(41), "alice");
                g.Store.BindUid(g.Client(42), "alice");
            },
            Call = api => Done(api.SendToUid("alice", Hello, [Id(41)])),
            Command = new(new StringList(["alice"]), HelloBytes, SendFlags.Auto, new ULongList(new ulong[] { 41 })),
            WantsReply = false,
            Effect = async g =>
            {
                Assert.That(await g.ReceivedAsync(42, 1), Is.EqualTo(new[] { "hello" }));
                Assert.That(g.ReceivedNothing(41), Is.True, "excluded");
            },
        };
        yield return new ContractCase<SendToGroupCommand, NoResult>
        {
            Arrange = g =>
            {
                g.Store.JoinGroup(g.Client(41), "room-1");
                g.Store.JoinGroup(g.Client(41), "room-2");
                g.Store.JoinGroup(g.Client(43), "room-2");
            },
            Call = api => Done(api.SendToGroups(["room-1", "room-2"], Hello)),
            Command = new(new StringList(["room-1", "room-2"]), HelloBytes, SendFlags.Auto, new ULongList(Array.Empty<ulong>())),
            WantsReply = false,
            Effect = async g =>
            {
                Assert.That(await g.ReceivedAsync(41, 1), Is.EqualTo(new[] { "hello" }), "a member of both groups gets it once");
                Assert.That(await g.ReceivedAsync(43, 1), Is.EqualTo(new[] { "hello" }));
                Assert.That(g.ReceivedNothing(41) && g.ReceivedNothing(42), Is.True);
            },
        };
        yield return new ContractCase<SendToAllCommand, NoResult>
        {
            Call = api => Done(api.SendToAll(Hello, [Id(43)])),
            Command = new(HelloBytes, SendFlags.Auto, new ULongList(new ulong[] { 43 })),
            WantsReply = false,
            Effect = async g =>
            {
                Assert.That(await g.ReceivedAsync(41, 1), Is.EqualTo(new[] { "hello" }));
                Assert.That(await g.ReceivedAsync(42, 1), Is.EqualTo(new[] { "hello" }));
                Assert.That(g.ReceivedNothing(43), Is.True, "excluded");
            },
        };

        // ---- mutations ----
        yield return new ContractCase<CloseClientCommand, NoResult>
        {
            Call = api => Done(api.CloseClient(Id(42), lastMessage: Hello)),
            Command = new(42, false, HelloBytes, SendFlags.Auto),
            Effect = async g =>
            {
                Assert.That(await g.ReceivedAsync(42, 1), Is.EqualTo(new[] { "hello" }), "the last message first");
                Assert.That(g.Client(42).IsClosing, Is.True);
            },
        };
        yield return new ContractCase<BindUidCommand, NoResult>
        {
            Call = api => Done(api.BindUid(Id(42), "alice")),
            Command = new(42, "alice"),
            Effect = g => Check(() => Assert.That(g.Store.Membership(g.Client(42)).Uid, Is.EqualTo("alice"))),
        };
        yield return new ContractCase<UnbindUidCommand, NoResult>
        {
            Arrange = g => g.Store.BindUid(g.Client(42), "alice"),
            Call = api => Done(api.UnbindUid(Id(42))),
            Command = new(42),
            Effect = g => Check(() => Assert.That(g.Store.IsUidOnline("alice"), Is.False)),
        };
        yield return new ContractCase<JoinGroupCommand, NoResult>
        {
            Call = api => Done(api.JoinGroup(Id(42), "room-1")),
            Command = new(42, "room-1"),
            Effect = g => Check(() => Assert.That(g.Store.GroupCount("room-1"), Is.EqualTo(1))),
        };
        yield return new ContractCase<LeaveGroupCommand, NoResult>
        {
            Arrange = g => g.Store.JoinGroup(g.Client(42), "room-1"),
            Call = api => Done(api.LeaveGroup(Id(42), "room-1")),
            Command = new(42, "room-1"),
            Effect = g => Check(() => Assert.That(g.Store.GroupCount("room-1"), Is.Zero)),
        };
        yield return new ContractCase<UngroupCommand, NoResult>
        {
            Arrange = g =>
            {
                g.Store.JoinGroup(g.Client(41), "room-1");
                g.Store.JoinGroup(g.Client(42), "room-1");
            },
            Call = api => Done(api.Ungroup("room-1")),
            Command = new("room-1"),
            Effect = g => Check(() => Assert.That(g.Store.Membership(g.Client(41)).Groups, Is.Empty)),
        };
        yield return new ContractCase<SetSessionCommand, NoResult>
        {
            Call = api => Done(api.SetSession(Id(42), new Dictionary<string, object?> { ["room"] = "lobby" })),
            Command = new(42, new ReadOnlySequence<byte>(RoomSession)),
            Effect = g => Check(() => Assert.That(g.Client(42).Session!.Bytes, Is.EqualTo(RoomSession))),
        };
        yield return new ContractCase<UpdateSessionCommand, NoResult>
        {
            Arrange = g => SetSession(g, 42, new() { ["level"] = 3 }),
            Call = api => Done(api.UpdateSession(Id(42), new Dictionary<string, object?> { ["room"] = "lobby" })),
            Command = new(42, new ReadOnlySequence<byte>(RoomSession)),
            Effect = g => Check(() => Assert.That(MessagePackSerializer.Deserialize<Dictionary<string, object?>>(g.Client(42).Session!.Bytes).Keys,
                Is.EquivalentTo(new[] { "level", "room" }), "merged, not replaced")),
        };

        // ---- queries on one client ----
        yield return new ContractCase<GetSessionCommand, BytesResult>
        {
            Arrange = g => SetSession(g, 42, new() { ["room"] = "lobby" }),
            Call = async api => (await api.GetSession(Id(42)))?["room"],
            Command = new(42),
            Result = new(RoomSession),
            Expected = "lobby",
        };
        yield return new ContractCase<IsOnlineCommand, BoolResult>
        {
            Call = async api => await api.IsOnline(Id(42)),
            Command = new(42),
            Result = new(true),
            Expected = true,
        };
        yield return new ContractCase<GetClientInfoCommand, ClientInfoResult>
        {
            Arrange = g =>
            {
                g.Store.BindUid(g.Client(42), "alice");
                g.Store.JoinGroup(g.Client(42), "room-1");
            },
            Call = async api =>
            {
                Worker.ClientInfo? info = await api.GetClientInfo(Id(42), ClientInfoFlags.RemoteAddress | ClientInfoFlags.RemotePort | ClientInfoFlags.Uid | ClientInfoFlags.Groups);
                return $"{info!.RemoteAddress}:{info.RemotePort} {info.Uid} {string.Join(',', info.Groups!)} {info.Transport ?? "-"}";
            },
            Command = new(42, ClientInfoFlags.RemoteAddress | ClientInfoFlags.RemotePort | ClientInfoFlags.Uid | ClientInfoFlags.Groups),
            Result = new(new ClientInfoValues
            {
                Fields = ClientInfoFlags.RemoteAddress | ClientInfoFlags.RemotePort | ClientInfoFlags.Uid | ClientInfoFlags.Groups,
                RemoteAddress = "203.0.113.9", RemotePort = 50042, Uid = "alice", Groups = ["room-1"],
            }),
            Expected = "203.0.113.9:50042 alice room-1 -",
        };

        // ---- cluster-wide queries (one gateway here) ----
        yield return new ContractCase<GetClientCountCommand, CountResult>
        {
            Call = async api => await api.GetClientCount(),
            Command = default,
            Result = new(3),
            Expected = 3,
        };
        yield return new ContractCase<IsUidOnlineCommand, BoolResult>
        {
            Arrange = g => g.Store.BindUid(g.Client(43), "bob"),
            Call = async api => await api.IsUidOnline("bob"),
            Command = new("bob"),
            Result = new(true),
            Expected = true,
        };
        yield return new ContractCase<GetClientCountByGroupCommand, CountResult>
        {
            Arrange = g =>
            {
                g.Store.JoinGroup(g.Client(41), "room-1");
                g.Store.JoinGroup(g.Client(43), "room-1");
            },
            Call = async api => await api.GetClientCountByGroup("room-1"),
            Command = new("room-1"),
            Result = new(2),
            Expected = 2,
        };
        yield return new ContractCase<GetClientCountByUidCommand, CountResult>
        {
            Arrange = g =>
            {
                g.Store.BindUid(g.Client(41), "alice");
                g.Store.BindUid(g.Client(42), "alice");
                g.Store.BindUid(g.Client(43), "bob");
            },
            Call = async api => await api.GetClientCountByUid("alice"),
            Command = new("alice"),
            Result = new(2),
            Expected = 2,
        };
        yield return new ContractCase<GetUidCountCommand, CountResult>
        {
            Arrange = g =>
            {
                g.Store.BindUid(g.Client(41), "alice");
                g.Store.BindUid(g.Client(42), "alice");
                g.Store.BindUid(g.Client(43), "bob");
            },
            Call = async api => await api.GetUidCount(),
            Command = default,
            Result = new(2),
            Expected = 2,
        };
        yield return new ContractCase<GetUidCountByGroupCommand, CountResult>
        {
            Arrange = g =>
            {
                g.Store.BindUid(g.Client(41), "alice");
                g.Store.BindUid(g.Client(42), "alice");
                g.Store.JoinGroup(g.Client(41), "room-1");
                g.Store.JoinGroup(g.Client(42), "room-1");
            },
            Call = async api => await api.GetUidCountByGroup("room-1"),
            Command = new("room-1"),
            Result = new(1),
            Expected = 1,
        };
        yield return new ContractCase<ListClientsCommand, ClientIdPage>
        {
            Arrange = g =>
            {
                g.Store.JoinGroup(g.Client(43), "room-1");
                g.Store.JoinGroup(g.Client(41), "room-1");
            },
            Call = async api => await ToList(api.GetClientListByGroup("room-1")),
            Command = new(ListScope.Group, "room-1", 0, 100),
            Result = new([41, 43], false),
            Expected = new List<string> { Id(41), Id(43) },
        };
        yield return new ContractCase<ListUidsCommand, NamePage>
        {
            Arrange = g =>
            {
                g.Store.BindUid(g.Client(43), "carol");
                g.Store.BindUid(g.Client(41), "alice");
            },
            Call = async api => await ToList(api.GetUidList()),
            Command = new(null, null, 100),
            Result = new(["alice", "carol"], false),
            Expected = new List<string> { "alice", "carol" },
        };
        yield return new ContractCase<ListGroupsCommand, NamePage>
        {
            Arrange = g =>
            {
                g.Store.JoinGroup(g.Client(43), "room-2");
                g.Store.JoinGroup(g.Client(41), "room-1");
            },
            Call = async api => await ToList(api.GetGroupList()),
            Command = new(null, 100),
            Result = new(["room-1", "room-2"], false),
            Expected = new List<string> { "room-1", "room-2" },
        };
        yield return new ContractCase<GetSessionsByGroupCommand, SessionPage>
        {
            Arrange = g =>
            {
                g.Store.JoinGroup(g.Client(41), "room-1");
                g.Store.JoinGroup(g.Client(42), "room-1");
                SetSession(g, 42, new() { ["room"] = "lobby" });
            },
            Call = async api =>
            {
                var found = new List<string>();
                await foreach ((string client, IReadOnlyDictionary<string, object?>? session) in api.GetSessionsByGroup("room-1"))
                {
                    found.Add($"{client}={session?["room"] ?? "(none)"}");
                }

                return found;
            },
            Command = new("room-1", 0, 100),
            Result = new([(41, null), (42, RoomSession)], false),
            Expected = new List<string> { $"{Id(41)}=(none)", $"{Id(42)}=lobby" },
        };

        // ---- custom commands ----
        yield return new ContractCase<CustomCommand, BytesResult>
        {
            Call = async api => Encoding.UTF8.GetString((await api.CallCommand(Id(41), "client-count", "clients"u8.ToArray()))!),
            Command = new("client-count", new ReadOnlySequence<byte>("clients"u8.ToArray())),
            Result = new("clients:3"u8.ToArray()),
            Expected = "clients:3",
        };
    }

    private static string Id(ulong connection) => GatewayHarness.ClientIdOf(connection);

    private static async Task<object?> Done(ValueTask call)
    {
        await call;
        return null;
    }

    private static Task Check(Action assertion)
    {
        assertion();
        return Task.CompletedTask;
    }

    private static void SetSession(GatewayHarness g, ulong id, Dictionary<string, object?> session) =>
        Assert.That(SessionState.TryApply(g.Client(id), new ReadOnlySequence<byte>(MessagePackSerializer.Serialize(session)), merge: false, out _), Is.True);

    private static async Task<object?> ToList(IAsyncEnumerable<string> items)
    {
        var list = new List<string>();
        await foreach (string item in items)
        {
            list.Add(item);
        }

        return list;
    }
}
