using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;

namespace SwooleGateway.LoadTest;

/// <summary>One client connection of the load tool: WebSocket (ClientWebSocket) or newline-delimited TCP.</summary>
public abstract class LoadConnection : IAsyncDisposable
{
    private static int s_nextSource;

    public static async Task<LoadConnection> ConnectAsync(LoadOptions options, CancellationToken cancellationToken)
    {
        var socket = new Socket(options.Target.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        if (IPAddress.IsLoopback(options.Target.Address) && options.Target.AddressFamily == AddressFamily.InterNetwork)
        {
            // Spread source addresses over 127.0.0.1-250: one address has only ~28k ephemeral ports per target.
            int n = Interlocked.Increment(ref s_nextSource);
            socket.Bind(new IPEndPoint(new IPAddress([127, 0, 0, (byte)(1 + (n % 250))]), 0));
        }

        try
        {
            await socket.ConnectAsync(options.Target, cancellationToken);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        if (options.Transport == "tcp")
        {
            return new TcpLoadConnection(socket);
        }

        var ws = new ClientWebSocket();
        ws.Options.KeepAliveInterval = TimeSpan.Zero;
        if (options.Transport == "signalr")
        {
            await ws.ConnectAsync(new Uri($"ws://{options.Target}/hub"), new SocketInvoker(socket), cancellationToken);
            var hub = new SignalRLoadConnection(ws);
            await hub.HandshakeAsync(cancellationToken);
            return hub;
        }

        await ws.ConnectAsync(new Uri($"ws://{options.Target}/"), new SocketInvoker(socket), cancellationToken);
        return new WsLoadConnection(ws);
    }

    /// <summary>Lets ClientWebSocket run over a socket we connected (from a chosen source address).</summary>
    private sealed class SocketInvoker(Socket socket) : System.Net.Http.HttpMessageInvoker(new System.Net.Http.SocketsHttpHandler
    {
        ConnectCallback = (_, _) => ValueTask.FromResult<Stream>(new NetworkStream(socket, ownsSocket: true)),
    });

    public abstract ValueTask SendAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken);

    /// <summary>Receives one whole message into <paramref name="buffer"/>; returns its length, or -1 when the connection closed.</summary>
    public abstract ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken);

    public abstract ValueTask DisposeAsync();

    private sealed class WsLoadConnection(ClientWebSocket socket) : LoadConnection
    {
        public override ValueTask SendAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken) =>
            socket.SendAsync(message, WebSocketMessageType.Text, true, cancellationToken);

        public override async ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken)
        {
            int total = 0;
            while (true)
            {
                ValueWebSocketReceiveResult r = await socket.ReceiveAsync(buffer[total..], cancellationToken);
                if (r.MessageType == WebSocketMessageType.Close)
                {
                    return -1;
                }

                total += r.Count;
                if (r.EndOfMessage)
                {
                    return total;
                }
            }
        }

        public override ValueTask DisposeAsync()
        {
            socket.Abort();
            socket.Dispose();
            return ValueTask.CompletedTask;
        }
    }

    private sealed class TcpLoadConnection(Socket socket) : LoadConnection
    {
        private static readonly byte[] s_newline = "\n"u8.ToArray();
        private readonly byte[] _inbox = new byte[256 * 1024];
        private int _start;
        private int _end;

        public override async ValueTask SendAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken)
        {
            byte[] frame = ArrayPool<byte>.Shared.Rent(message.Length + 1);
            message.CopyTo(frame);
            frame[message.Length] = (byte)'\n';
            try
            {
                await socket.SendAsync(frame.AsMemory(0, message.Length + 1), cancellationToken);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(frame);
            }
        }

        public override async ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken)
        {
            while (true)
            {
                int nl = _inbox.AsSpan(_start, _end - _start).IndexOf(s_newline);
                if (nl >= 0)
                {
                    _inbox.AsSpan(_start, nl).CopyTo(buffer.Span);
                    _start += nl + 1;
                    return nl;
                }

                if (_start > 0)
                {
                    _inbox.AsSpan(_start, _end - _start).CopyTo(_inbox);
                    _end -= _start;
                    _start = 0;
                }

                int n = await socket.ReceiveAsync(_inbox.AsMemory(_end), cancellationToken);
                if (n == 0)
                {
                    return -1;
                }

                _end += n;
            }
        }

        public override ValueTask DisposeAsync()
        {
            socket.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
