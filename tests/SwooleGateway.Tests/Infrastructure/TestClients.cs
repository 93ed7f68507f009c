using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;

namespace SwooleGateway.Tests.Infrastructure;

/// <summary>A real <see cref="ClientWebSocket"/> with bounded receives.</summary>
public sealed class WsTestClient : IAsyncDisposable
{
    private readonly byte[] _buffer = new byte[256 * 1024];

    private WsTestClient(ClientWebSocket socket) => Socket = socket;

    public ClientWebSocket Socket { get; }

    public static async Task<WsTestClient> ConnectAsync(IPEndPoint endpoint, string path = "/")
    {
        var socket = new ClientWebSocket();
        await socket.ConnectAsync(new Uri($"ws://{endpoint}{path}"), CancellationToken.None).WaitAsync(TimeoutExtensions.Default);
        return new WsTestClient(socket);
    }

    public Task SendAsync(string text) =>
        Socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None).DefaultTimeout();

    /// <summary>Receives one whole message (text or binary) as a string, or null when the server closed.</summary>
    public async Task<string?> ReceiveAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeoutExtensions.Default);
        int total = 0;
        while (true)
        {
            ValueWebSocketReceiveResult result = await Socket.ReceiveAsync(_buffer.AsMemory(total), cts.Token);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return null;
            }

            total += result.Count;
            if (result.EndOfMessage)
            {
                return Encoding.UTF8.GetString(_buffer, 0, total);
            }
        }
    }

    /// <summary>Receives until a message equal to <paramref name="expected"/> arrives; returns the others seen before it.</summary>
    public async Task<List<string>> ReceiveUntilAsync(string expected)
    {
        var others = new List<string>();
        while (true)
        {
            string? message = await ReceiveAsync();
            if (message is null)
            {
                Assert.Fail($"closed while waiting for '{expected}'");
            }

            if (message == expected)
            {
                return others;
            }

            others.Add(message!);
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (Socket.State == WebSocketState.Open)
            {
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await Socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", cts.Token);
            }
        }
        catch (Exception)
        {
            // best effort
        }

        Socket.Dispose();
    }
}

/// <summary>A newline-delimited TCP client with bounded reads.</summary>
public sealed class TcpTestClient : IDisposable
{
    private readonly TcpClient _client;
    private readonly StreamReader _reader;
    private readonly Stream _stream;

    private TcpTestClient(TcpClient client)
    {
        _client = client;
        _stream = client.GetStream();
        _reader = new StreamReader(_stream, Encoding.UTF8);
    }

    public Stream Stream => _stream;

    public static async Task<TcpTestClient> ConnectAsync(IPEndPoint endpoint)
    {
        var client = new TcpClient(AddressFamily.InterNetwork);
        await client.ConnectAsync(endpoint).WaitAsync(TimeoutExtensions.Default);
        return new TcpTestClient(client);
    }

    public Task SendAsync(string line) => _stream.WriteAsync(Encoding.UTF8.GetBytes(line + "\n")).AsTask().DefaultTimeout();

    public Task SendRawAsync(byte[] bytes) => _stream.WriteAsync(bytes).AsTask().DefaultTimeout();

    /// <summary>Reads one line, or null at end of stream.</summary>
    public async Task<string?> ReceiveAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeoutExtensions.Default);
        return await _reader.ReadLineAsync(cts.Token);
    }

    /// <summary>Sends one line and reads the next line back (a request that answers its sender).</summary>
    public async Task<string?> AskAsync(string request, TimeSpan? timeout = null)
    {
        await SendAsync(request);
        return await ReceiveAsync(timeout);
    }

    public async Task<List<string>> ReceiveUntilAsync(string expected)
    {
        var others = new List<string>();
        while (true)
        {
            string? line = await ReceiveAsync();
            if (line is null)
            {
                Assert.Fail($"closed while waiting for '{expected}'");
            }

            if (line == expected)
            {
                return others;
            }

            others.Add(line!);
        }
    }

    /// <summary>Reads and discards until the server closes; true if it did within the timeout.</summary>
    public async Task<bool> ReceiveUntilNullAsync()
    {
        try
        {
            while (await ReceiveAsync() is not null)
            {
            }

            return true;
        }
        catch (IOException)
        {
            return true;
        }
    }

    public void Dispose() => _client.Dispose();
}

/// <summary>Sends that make the gateway read one message per read, so that a check it runs after each read runs after each message.</summary>
public static class PacedSends
{
    /// <summary>
    /// Sends <c>echo:0</c> … <c>echo:{total - 1}</c> with <paramref name="send"/>: the first <paramref name="paced"/> one at a
    /// time, each waiting until <paramref name="count"/> (the client's events the gateway holds or has in flight) has gone
    /// from <paramref name="from"/> up by one more; the rest at once (a client whose reads paused leaves them in its socket).
    /// </summary>
    public static async Task SendEchoes(Func<string, Task> send, int total, int paced, Func<int> count, int from, string what)
    {
        for (int m = 0; m < paced; m++)
        {
            await send($"echo:{m}");
            int expected = from + m + 1;
            await TimeoutExtensions.WaitUntil(() => count() == expected, $"{expected} {what}");
        }

        for (int m = paced; m < total; m++)
        {
            await send($"echo:{m}");
        }
    }
}
