using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Threading.Channels;

// The ceiling for comparisons: one bare Kestrel process, no worker hop, same semantics as the Echo sample's
// hot commands ("echo:" back to the sender, "bcast:" to everyone, "count"). A broadcast is encoded once and
// queued to each connection's writer; it never waits for a client.
//   dotnet run -c Release --project benchmarks/SwooleGateway.Baseline -- --urls http://127.0.0.1:7400
WebApplicationBuilder builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.SetMinimumLevel(LogLevel.Warning);
WebApplication app = builder.Build();
app.UseWebSockets();
var clients = new ConcurrentDictionary<long, Channel<byte[]>>();
long nextId = 0;

app.Map("/", async context =>
{
    if (!context.WebSockets.IsWebSocketRequest)
    {
        context.Response.StatusCode = 400;
        return;
    }

    using WebSocket socket = await context.WebSockets.AcceptWebSocketAsync();
    long id = Interlocked.Increment(ref nextId);
    var outbox = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(1024) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });
    clients[id] = outbox;
    Task writer = Task.Run(async () =>
    {
        await foreach (byte[] message in outbox.Reader.ReadAllAsync())
        {
            await socket.SendAsync(message, WebSocketMessageType.Text, true, CancellationToken.None);
        }
    });

    byte[] buffer = new byte[64 * 1024];
    try
    {
        while (true)
        {
            int total = 0;
            ValueWebSocketReceiveResult result;
            do
            {
                result = await socket.ReceiveAsync(buffer.AsMemory(total), CancellationToken.None);
                total += result.Count;
            }
            while (!result.EndOfMessage && result.MessageType != WebSocketMessageType.Close);

            if (result.MessageType == WebSocketMessageType.Close)
            {
                break;
            }

            ReadOnlySpan<byte> message = buffer.AsSpan(0, total);
            if (message.StartsWith("bcast:"u8))
            {
                byte[] once = message.ToArray();
                foreach (Channel<byte[]> channel in clients.Values)
                {
                    channel.Writer.TryWrite(once);
                }
            }
            else if (message.SequenceEqual("count"u8))
            {
                outbox.Writer.TryWrite(System.Text.Encoding.ASCII.GetBytes("count:" + clients.Count));
            }
            else
            {
                outbox.Writer.TryWrite(message.ToArray());
            }
        }
    }
    catch (WebSocketException)
    {
    }
    finally
    {
        clients.TryRemove(id, out _);
        outbox.Writer.TryComplete();
        await writer.ContinueWith(_ => { });
    }
});

app.Run();
