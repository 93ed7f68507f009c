using System.Collections.Concurrent;
using System.Text;
using SwooleGateway.Worker;

namespace SwooleGateway.Tests.Infrastructure;

/// <summary>A handler that records every event (for asserting event payloads) and answers "me", "echo:" and "get:key".</summary>
public sealed class RecordingHandler : GatewayEventHandler
{
    public static ConcurrentDictionary<string, CloseInfo> Closed { get; } = new();

    public static ConcurrentDictionary<string, ConnectInfo> Connected { get; } = new();

    public override ValueTask OnConnect(string clientId, ConnectInfo info)
    {
        Connected[clientId] = info;
        return ValueTask.CompletedTask;
    }

    public override async ValueTask OnMessage(string clientId, IReadOnlyDictionary<string, object?>? session, ReadOnlyMemory<byte> payload)
    {
        string text = Encoding.UTF8.GetString(payload.Span);
        if (text == "me")
        {
            await Gateway.SendToClient(clientId, "me:" + clientId);
        }
        else if (text.StartsWith("echo:", StringComparison.Ordinal))
        {
            await Gateway.SendToClient(clientId, payload);
        }
        else if (text.StartsWith("get:", StringComparison.Ordinal))
        {
            string key = text[4..];
            object? value = null;
            await Gateway.SendToClient(clientId, session is not null && session.TryGetValue(key, out value) ? $"session:{key}={value}" : $"session:{key}=(none)");
        }
    }

    public override ValueTask OnClose(string clientId, CloseInfo info)
    {
        Closed[clientId] = info;
        return ValueTask.CompletedTask;
    }
}
