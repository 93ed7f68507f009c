using System.Globalization;
using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using SwooleGateway.Worker;

namespace EchoSample;

/// <summary>
/// A handler that speaks a tiny text command language, so the whole API can be driven from any plain
/// WebSocket or TCP client (see README.md beside this file). Load tools rely on <c>echo:</c> and <c>bcast:</c>.
/// </summary>
public sealed partial class EchoHandler(ILogger<EchoHandler> logger, IConfiguration configuration) : GatewayEventHandler
{
    /// <summary>The code version this worker runs (<c>--Echo:Version=v2</c>), answered to <c>version</c>: shows a rolling upgrade.</summary>
    private readonly string _version = configuration["Echo:Version"] ?? "v1";

    private static ReadOnlySpan<byte> EchoPrefix => "echo:"u8;

    private static ReadOnlySpan<byte> BroadcastPrefix => "bcast:"u8;

    public override ValueTask OnConnect(string clientId, ConnectInfo info)
    {
        Log.Connected(logger, clientId, info.Transport, info.RemoteAddress, info.RemotePort);
        return ValueTask.CompletedTask;
    }

    public override async ValueTask OnMessage(string clientId, IReadOnlyDictionary<string, object?>? session, ReadOnlyMemory<byte> payload, EventContext context)
    {
        ReadOnlySpan<byte> span = payload.Span;
        if (context.Redelivered)
        {
            // Its first worker went away before confirming it had handled this message: it may have, so a handler
            // whose effects must not happen twice de-duplicates here. This one simply answers again.
            Log.Redelivered(logger, clientId);
        }

        // The two hot commands never decode the payload: the bytes go back out as they came in.
        if (span.StartsWith(EchoPrefix))
        {
            await Gateway.SendToClient(clientId, payload);
            return;
        }

        if (span.StartsWith(BroadcastPrefix))
        {
            await Gateway.SendToAll(payload);
            return;
        }

        string text = Encoding.UTF8.GetString(span).TrimEnd('\r', '\n');
        int colon = text.IndexOf(':', StringComparison.Ordinal);
        string command = colon < 0 ? text : text[..colon];
        string argument = colon < 0 ? "" : text[(colon + 1)..];
        switch (command)
        {
            case "me":
                await Gateway.SendToClient(clientId, "me:" + clientId);
                break;
            case "version":
                await Gateway.SendToClient(clientId, "version:" + _version);
                break;
            case "delay" when TrySplit(argument, out string delayMs, out string delayed) && int.TryParse(delayMs, CultureInfo.InvariantCulture, out int delay):
                await Task.Delay(Math.Clamp(delay, 0, 60_000)); // a slow asynchronous call (a database, a web service)
                await Gateway.SendToClient(clientId, delayed);
                break;
            case "block" when TrySplit(argument, out string blockMs, out string blocked) && int.TryParse(blockMs, CultureInfo.InvariantCulture, out int block):
                Thread.Sleep(Math.Clamp(block, 0, 60_000)); // a synchronous call that blocks its thread: only this client waits
                await Gateway.SendToClient(clientId, blocked);
                break;
            case "uid" when argument.Length > 0:
                await Gateway.BindUid(clientId, argument);
                await Gateway.SendToClient(clientId, "ok:uid:" + argument);
                break;
            case "unbind":
                await Gateway.UnbindUid(clientId);
                await Gateway.SendToClient(clientId, "ok:unbind");
                break;
            case "touid" when TrySplit(argument, out string uid, out string message):
                await Gateway.SendToUid(uid, message);
                break;
            case "join" when argument.Length > 0:
                await Gateway.JoinGroup(clientId, argument);
                await Gateway.SendToClient(clientId, "ok:join:" + argument);
                break;
            case "leave" when argument.Length > 0:
                await Gateway.LeaveGroup(clientId, argument);
                await Gateway.SendToClient(clientId, "ok:leave:" + argument);
                break;
            case "togroup" when TrySplit(argument, out string group, out string message):
                await Gateway.SendToGroup(group, message);
                break;
            case "count":
                await Gateway.SendToClient(clientId, "count:" + (await Gateway.GetClientCount()).ToString(CultureInfo.InvariantCulture));
                break;
            case "groupcount" when argument.Length > 0:
                await Gateway.SendToClient(clientId, $"groupcount:{argument}:{(await Gateway.GetClientCountByGroup(argument)).ToString(CultureInfo.InvariantCulture)}");
                break;
            case "online" when argument.Length > 0:
                await Gateway.SendToClient(clientId, $"online:{argument}:{(await Gateway.IsUidOnline(argument) ? "true" : "false")}");
                break;
            case "set" when argument.Contains('=', StringComparison.Ordinal):
            {
                int eq = argument.IndexOf('=', StringComparison.Ordinal);
                await Gateway.UpdateSession(clientId, new Dictionary<string, object?> { [argument[..eq]] = argument[(eq + 1)..] });
                await Gateway.SendToClient(clientId, "ok:set:" + argument[..eq]);
                break;
            }

            case "get" when argument.Length > 0:
            {
                object? value = null;
                bool found = session is not null && session.TryGetValue(argument, out value);
                await Gateway.SendToClient(clientId, found ? $"session:{argument}={value}" : $"session:{argument}=(none)");
                break;
            }

            case "session":
                await Gateway.SendToClient(clientId, "session:" + Format(await Gateway.GetSession(clientId)));
                break;
            case "del":
                await Gateway.DeleteSession(clientId);
                await Gateway.SendToClient(clientId, "ok:del");
                break;
            case "info":
            {
                ClientInfo? info = await Gateway.GetClientInfo(clientId);
                await Gateway.SendToClient(clientId, info is null ? "info:gone" : string.Create(CultureInfo.InvariantCulture,
                    $"info:ip={info.RemoteAddress};port={info.RemotePort};uid={info.Uid};groups={string.Join(',', info.Groups ?? [])};transport={info.Transport};listener={info.Listener};in={info.MessagesIn};out={info.MessagesOut}"));
                break;
            }

            case "clients":
                await Gateway.SendToClient(clientId, "clients:" + await Join(Gateway.GetClientList()));
                break;
            case "groupclients" when argument.Length > 0:
                await Gateway.SendToClient(clientId, $"groupclients:{argument}:" + await Join(Gateway.GetClientListByGroup(argument)));
                break;
            case "uidclients" when argument.Length > 0:
                await Gateway.SendToClient(clientId, $"uidclients:{argument}:" + await Join(Gateway.GetClientListByUid(argument)));
                break;
            case "uids":
                await Gateway.SendToClient(clientId, "uids:" + await Join(Gateway.GetUidList()));
                break;
            case "groups":
                await Gateway.SendToClient(clientId, "groups:" + await Join(Gateway.GetGroupList()));
                break;
            case "uidcount":
                await Gateway.SendToClient(clientId, "uidcount:" + (await Gateway.GetUidCount()).ToString(CultureInfo.InvariantCulture));
                break;
            case "groupuidcount" when argument.Length > 0:
                await Gateway.SendToClient(clientId, $"groupuidcount:{argument}:{(await Gateway.GetUidCountByGroup(argument)).ToString(CultureInfo.InvariantCulture)}");
                break;
            case "groupsessions" when argument.Length > 0:
            {
                var parts = new List<string>();
                await foreach ((string member, IReadOnlyDictionary<string, object?>? memberSession) in Gateway.GetSessionsByGroup(argument))
                {
                    parts.Add($"{member}={Format(memberSession)}");
                }

                await Gateway.SendToClient(clientId, $"groupsessions:{argument}:" + string.Join(';', parts));
                break;
            }

            case "ungroup" when argument.Length > 0:
                await Gateway.Ungroup(argument);
                await Gateway.SendToClient(clientId, "ok:ungroup:" + argument);
                break;
            case "sendto" when TrySplit(argument, out string target, out string message):
                await Gateway.SendToClient(target, message);
                break;
            case "kick" when argument.Length > 0:
                await Gateway.CloseClient(argument, lastMessage: Encoding.UTF8.GetBytes("kicked"));
                break;
            case "close":
                await Gateway.CloseClient(clientId, lastMessage: "bye"u8.ToArray());
                break;
            default:
                await Gateway.SendToClient(clientId, "error:unknown command (see the sample's README: echo:, bcast:, me, uid:, touid:, join:, togroup:, count, set:, get:, info, clients, close, ...)");
                break;
        }
    }

    public override ValueTask OnClose(string clientId, CloseInfo info)
    {
        Log.Closed(logger, clientId, info.Uid, string.Join(',', info.Groups));
        return ValueTask.CompletedTask;
    }

    private static string Format(IReadOnlyDictionary<string, object?>? session) =>
        session is null ? "(none)" : "{" + string.Join(',', session.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => $"{e.Key}={e.Value}")) + "}";

    /// <summary>Up to 100 items, comma-separated, then ",..." when there were more.</summary>
    private static async Task<string> Join(IAsyncEnumerable<string> items)
    {
        var list = new List<string>();
        await foreach (string item in items)
        {
            if (list.Count == 100)
            {
                list.Add("...");
                break;
            }

            list.Add(item);
        }

        return string.Join(',', list);
    }

    private static bool TrySplit(string argument, out string target, out string message)
    {
        int colon = argument.IndexOf(':', StringComparison.Ordinal);
        target = colon <= 0 ? "" : argument[..colon];
        message = colon <= 0 ? "" : argument[(colon + 1)..];
        return colon > 0;
    }

    private static partial class Log
    {
        [LoggerMessage(9001, LogLevel.Debug, "Client {ClientId} connected over {Transport} from {Address}:{Port}")]
        public static partial void Connected(ILogger logger, string clientId, string transport, string address, int port);

        [LoggerMessage(9002, LogLevel.Debug, "Client {ClientId} closed (uid {Uid}, groups {Groups})")]
        public static partial void Closed(ILogger logger, string clientId, string? uid, string groups);

        [LoggerMessage(9003, LogLevel.Debug, "A message of client {ClientId} came again: its first worker went away before it was acknowledged")]
        public static partial void Redelivered(ILogger logger, string clientId);
    }
}
