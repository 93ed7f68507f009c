using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;

namespace SwooleGateway.LoadTest;

/// <summary>One client connection of the load tool: WebSocket (ClientWebSocket) or newline-delimited TCP.</summary>
public abstract class LoadConnection : IAsyncDisposable
{
    public static async Task<LoadConnection> ConnectAsync(LoadOptions options, CancellationToken cancellationToken)
    {
        if (options.Transport == "tcp")
        {
            var socket = new Socket(options.Target.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            await socket.ConnectAsync(options.Target, cancellationToken);
            return new TcpLoadConnection(socket);
        }

        var ws = new ClientWebSocket();
        ws.Options.KeepAliveInterval = TimeSpan.Zero;
        await ws.ConnectAsync(new Uri($"ws://{options.Target}/"), cancellationToken);
        return new WsLoadConnection(ws);
    }

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
