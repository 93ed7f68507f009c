using System.Text.Json;
using System.Text.Json.Serialization;
using SwooleGateway.Worker;

namespace ChatSample;

/// <summary>
/// The chat, in one handler: a room is a group (<c>room:NAME</c>), a nickname is a uid (two tabs with the same nickname
/// are one user), and the member list comes from the Gateway API. The page speaks JSON over WebSocket:
/// <c>{"type":"join","room":"lobby","nick":"ada"}</c>, <c>{"type":"say","text":"hi"}</c>,
/// <c>{"type":"pm","to":"bob","text":"psst"}</c>, <c>{"type":"leave"}</c>; it receives <c>joined</c> (with the room's
/// last 50 lines and its members), <c>message</c>, <c>notice</c>, <c>members</c>, <c>pm</c> and <c>error</c>.
/// </summary>
public sealed class ChatHandler(ChatRooms rooms) : GatewayEventHandler
{
    private static readonly JsonSerializerOptions s_json = new(JsonSerializerDefaults.Web) { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    public override async ValueTask OnMessage(string clientId, IReadOnlyDictionary<string, object?>? session, ReadOnlyMemory<byte> payload, EventContext context)
    {
        Request? request;
        try
        {
            request = JsonSerializer.Deserialize<Request>(payload.Span, s_json);
        }
        catch (JsonException)
        {
            request = null;
        }

        string? room = session?.GetValueOrDefault("room") as string;
        string? nick = session?.GetValueOrDefault("nick") as string;
        switch (request?.Type)
        {
            case "join" when Valid(request.Room) && Valid(request.Nick):
                if (room is not null)
                {
                    await Leave(clientId, room, nick!);
                }

                await Join(clientId, request.Room!, request.Nick!);
                break;
            case "say" when room is not null && !string.IsNullOrWhiteSpace(request.Text):
                var line = new ChatLine(nick, Clip(request.Text), DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
                rooms.Add(room, line);
                await Gateway.SendToGroup(Group(room), Json(new { type = "message", room, from = nick, text = line.Text, at = line.At }));
                break;
            case "pm" when room is not null && Valid(request.To) && !string.IsNullOrWhiteSpace(request.Text):
                string pm = Json(new { type = "pm", from = nick, to = request.To, text = Clip(request.Text) });
                if (!await Gateway.IsUidOnline(request.To!))
                {
                    await Gateway.SendToClient(clientId, Json(new { type = "error", text = $"{request.To} is not online" }));
                    break;
                }

                await Gateway.SendToUid(request.To!, pm);
                if (request.To != nick)
                {
                    await Gateway.SendToUid(nick!, pm); // every tab of the sender sees it too
                }

                break;
            case "leave" when room is not null:
                await Leave(clientId, room, nick!);
                await Gateway.DeleteSession(clientId);
                await Gateway.SendToClient(clientId, Json(new { type = "left", room }));
                break;
            default:
                await Gateway.SendToClient(clientId, Json(new { type = "error", text = "not understood: join a room first (a room and a nickname of 1 to 32 characters)" }));
                break;
        }
    }

    public override async ValueTask OnClose(string clientId, CloseInfo info)
    {
        if (info.Session?.GetValueOrDefault("room") is string room && info.Session.GetValueOrDefault("nick") is string nick)
        {
            await Announce(room, nick, joined: false);
        }
    }

    private async Task Join(string clientId, string room, string nick)
    {
        bool newUser = !await Gateway.IsUidOnline(nick) || await MemberCountOf(nick, room) == 0;
        await Gateway.BindUid(clientId, nick);
        await Gateway.JoinGroup(clientId, Group(room));
        await Gateway.SetSession(clientId, new Dictionary<string, object?> { ["room"] = room, ["nick"] = nick });
        ChatLine[] history = rooms.History(room);
        await Gateway.SendToClient(clientId, Json(new
        {
            type = "joined", room, nick, history = history.Select(h => new { from = h.From, text = h.Text, at = h.At }), members = await Members(room),
        }));
        if (newUser)
        {
            await Announce(room, nick, joined: true);
        }
        else
        {
            await SendMembers(room);
        }
    }

    private async Task Leave(string clientId, string room, string nick)
    {
        await Gateway.LeaveGroup(clientId, Group(room));
        await Announce(room, nick, joined: false);
    }

    /// <summary>A join or leave notice, unless the user still has another tab in the room; then the member list.</summary>
    private async Task Announce(string room, string nick, bool joined)
    {
        if (!joined && await MemberCountOf(nick, room) > 0)
        {
            return; // another tab of the same user is still there
        }

        var notice = new ChatLine(null, $"{nick} {(joined ? "joined" : "left")}", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        rooms.Add(room, notice);
        await Gateway.SendToGroup(Group(room), Json(new { type = "notice", room, text = notice.Text, at = notice.At }));
        await SendMembers(room);
    }

    private async Task SendMembers(string room) =>
        await Gateway.SendToGroup(Group(room), Json(new { type = "members", room, members = await Members(room) }));

    private async Task<List<string>> Members(string room)
    {
        var members = new List<string>();
        await foreach (string uid in Gateway.GetUidListByGroup(Group(room)))
        {
            members.Add(uid);
        }

        members.Sort(StringComparer.Ordinal);
        return members;
    }

    /// <summary>How many connections of <paramref name="nick"/> are in the room (its tabs).</summary>
    private async Task<int> MemberCountOf(string nick, string room)
    {
        int count = 0;
        await foreach ((string _, IReadOnlyDictionary<string, object?>? session) in Gateway.GetSessionsByGroup(Group(room)))
        {
            count += session?.GetValueOrDefault("nick") as string == nick ? 1 : 0;
        }

        return count;
    }

    private static string Group(string room) => "room:" + room;

    private static bool Valid(string? name) => !string.IsNullOrWhiteSpace(name) && name.Length <= 32;

    private static string Clip(string? text) => text!.Length <= 2000 ? text : text[..2000];

    private static string Json<T>(T value) => JsonSerializer.Serialize(value, s_json);

    private sealed record Request(string? Type, string? Room, string? Nick, string? To, string? Text);
}
