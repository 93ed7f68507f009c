using System.Buffers;
using MessagePack;
using SwooleGateway.Protocol;
using SwooleGateway.Protocol.Commands;
using SwooleGateway.Protocol.Messages;

namespace SwooleGateway.Tests.Protocol;

/// <summary>Every internal message with sample values that use each of its fields (a test checks that none is missing).</summary>
public static class WireCases
{
    private static readonly byte[] Nonce = [.. Enumerable.Range(1, 32).Select(i => (byte)i)];
    private static readonly ReadOnlySequence<byte> Payload = new("hello, \u00e9 world"u8.ToArray());
    private static readonly ReadOnlySequence<byte> Session = new(MessagePackSerializer.Serialize(new Dictionary<string, object?> { ["room"] = "lobby", ["level"] = 3 }));

    public static IEnumerable<WireCase> Messages()
    {
        yield return new MessageCase<HelloFrame>(new HelloFrame(Handshake.ProtocolVersion, "gateway", "gateway-a-1", Nonce));
        yield return new MessageCase<AuthFrame>(new AuthFrame(Handshake.ProtocolVersion, "worker", "worker-b-2", Nonce, [.. Nonce.Reverse()]));
        yield return new MessageCase<WelcomeFrame>(new WelcomeFrame(Nonce));
        yield return new MessageCase<RejectFrame>(new RejectFrame(RejectReason.BadSecret, "wrong secret"));
        yield return new MessageCase<PingFrame>(default);
        yield return new MessageCase<PongFrame>(default);
        yield return new MessageCase<AnnounceFrame>(new AnnounceFrame("[2001:db8::7]:2900", "gateway-a-1"));
        yield return new MessageCase<SubscribeFrame>(default);
        yield return new MessageCase<GatewayListFrame>(new GatewayListFrame([new GatewayInfo("gateway-a-1", "10.0.0.7:2900"), new GatewayInfo("gateway-b-2", "[2001:db8::7]:2900")]));
        yield return new MessageCase<StatusReportFrame>(new StatusReportFrame("gateway", "gateway-a-1", "2.1.0+3f2a", "1.0.0", 1_764_489_600_000, "10.0.0.7:2900", ["edge"],
            new Dictionary<string, ulong> { ["connections"] = 15_000, ["events_total"] = 123_456_789 }));
        yield return new MessageCase<ClientConnectFrame>(new ClientConnectFrame(
            new EventHeader(1, 0x0123456789abcdef, EventFlags.None), "203.0.113.9", 51234, "ws", "websocket", "/chat",
            new Dictionary<string, string> { ["Origin"] = "https://example.com" }, "chat.v1", new Dictionary<string, string> { ["token"] = "t" },
            "alice", 3, Session));
        yield return new MessageCase<ClientMessageFrame>(new ClientMessageFrame(new EventHeader(2, 42, EventFlags.Text | EventFlags.Redelivered), 3, Session, Payload, 7));
        yield return new MessageCase<ClientCloseFrame>(new ClientCloseFrame(new EventHeader(3, 42, EventFlags.None), 3, Session, "alice", new StringList(["room-1", "room-2"])));
        yield return new MessageCase<EventAckFrame>(new EventAckFrame(new ULongList(new ulong[] { 1, 3, 5, 5 })));
        yield return new MessageCase<WorkerDrainingFrame>(default);
        yield return new MessageCase<GatewayLeavingFrame>(default);
        yield return new MessageCase<DrainAckFrame>(default);
    }

    /// <summary>The commands, with the arguments of their contract cases.</summary>
    public static IEnumerable<WireCase> Commands() => ContractCases.All().Select(c => c.Wire);

    public static IEnumerable<WireCase> Results()
    {
        yield return new ResultCase<NoResult>(default);
        yield return new ResultCase<CountResult>(new CountResult(12345));
        yield return new ResultCase<BoolResult>(new BoolResult(true));
        yield return new ResultCase<BytesResult>(new BytesResult([1, 2, 3]));
        yield return new ResultCase<ClientIdPage>(new ClientIdPage([41, 42, 43], true));
        yield return new ResultCase<NamePage>(new NamePage(["alice", "bob"], false));
        yield return new ResultCase<SessionPage>(new SessionPage([(42, Session.ToArray()), (43, null)], true));
        yield return new ResultCase<ClientInfoResult>(new ClientInfoResult(new ClientInfoValues
        {
            Fields = ClientInfoFlags.All, RemoteAddress = "203.0.113.9", RemotePort = 51234, Uid = "alice", Session = Session.ToArray(),
            Groups = ["room-1"], Transport = "websocket", Listener = "ws", ConnectedAt = 1_764_000_000_000, BytesIn = 1, BytesOut = 2, MessagesIn = 3, MessagesOut = 4,
        }));
    }

    public static IEnumerable<WireCase> All() => Messages().Concat(Commands()).Concat(Results());
}
