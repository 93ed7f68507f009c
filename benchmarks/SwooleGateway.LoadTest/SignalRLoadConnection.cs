using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace SwooleGateway.LoadTest;

/// <summary>
/// SignalR's JSON hub protocol over a WebSocket, mapped onto the load tool's messages: "echo:..." invokes Echo,
/// "bcast:..." invokes Broadcast, "count" invokes Count; the hub's "m" messages and Count's result come back as
/// "..." and "count:N". Records are JSON followed by 0x1E.
/// </summary>
internal sealed class SignalRLoadConnection(ClientWebSocket socket) : LoadConnection
{
    private const byte Separator = 0x1E;
    private readonly byte[] _inbox = new byte[256 * 1024];
    private int _start;
    private int _end;

    public async Task HandshakeAsync(CancellationToken cancellationToken)
    {
        await socket.SendAsync("{\"protocol\":\"json\",\"version\":1}\u001e"u8.ToArray(), WebSocketMessageType.Text, true, cancellationToken);
        byte[] ignored = new byte[256];
        _ = await NextRecordAsync(ignored, cancellationToken); // {} on success
    }

    public override ValueTask SendAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken)
    {
        string text = Encoding.UTF8.GetString(message.Span);
        string record = text == "count"
            ? "{\"type\":1,\"invocationId\":\"c\",\"target\":\"Count\",\"arguments\":[]}"
            : JsonSerializer.Serialize(new Invocation(1, text.StartsWith("bcast:", StringComparison.Ordinal) ? "Broadcast" : "Echo", [text]), LoadJson.Default.Invocation);
        return socket.SendAsync(new ReadOnlyMemory<byte>(Encoding.UTF8.GetBytes(record + "\u001e")), WebSocketMessageType.Text, true, cancellationToken);
    }

    public override async ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        byte[] record = new byte[_inbox.Length];
        while (true)
        {
            int n = await NextRecordAsync(record, cancellationToken);
            if (n < 0)
            {
                return -1;
            }

            using JsonDocument json = JsonDocument.Parse(record.AsMemory(0, n));
            int type = json.RootElement.GetProperty("type").GetInt32();
            if (type == 1 && json.RootElement.GetProperty("target").GetString() == "m")
            {
                return Encoding.UTF8.GetBytes(json.RootElement.GetProperty("arguments")[0].GetString()!, buffer.Span);
            }

            if (type == 3 && json.RootElement.TryGetProperty("result", out JsonElement result))
            {
                return Encoding.UTF8.GetBytes("count:" + result.GetInt32(), buffer.Span);
            }

            // pings (6) and anything else are skipped
        }
    }

    private async ValueTask<int> NextRecordAsync(byte[] destination, CancellationToken cancellationToken)
    {
        while (true)
        {
            int end = Array.IndexOf(_inbox, Separator, _start, _end - _start);
            if (end >= 0)
            {
                int length = end - _start;
                Array.Copy(_inbox, _start, destination, 0, length);
                _start = end + 1;
                return length;
            }

            if (_start > 0)
            {
                Array.Copy(_inbox, _start, _inbox, 0, _end - _start);
                _end -= _start;
                _start = 0;
            }

            ValueWebSocketReceiveResult r = await socket.ReceiveAsync(_inbox.AsMemory(_end), cancellationToken);
            if (r.MessageType == WebSocketMessageType.Close)
            {
                return -1;
            }

            _end += r.Count;
        }
    }

    public override ValueTask DisposeAsync()
    {
        socket.Abort();
        socket.Dispose();
        return ValueTask.CompletedTask;
    }
}

internal sealed record Invocation(
    [property: System.Text.Json.Serialization.JsonPropertyName("type")] int Type,
    [property: System.Text.Json.Serialization.JsonPropertyName("target")] string Target,
    [property: System.Text.Json.Serialization.JsonPropertyName("arguments")] string[] Arguments);
