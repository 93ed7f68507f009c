using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace SwooleGateway.Tests.Infrastructure;

/// <summary>A hand-rolled WebSocket client that can send anything, including frames a real client never would.</summary>
public sealed class RawWebSocket : IDisposable
{
    private readonly TcpClient _client;
    private readonly NetworkStream _stream;

    private RawWebSocket(TcpClient client)
    {
        _client = client;
        _stream = client.GetStream();
    }

    public NetworkStream Stream => _stream;

    public static async Task<RawWebSocket> ConnectAsync(IPEndPoint endpoint, bool upgrade = true)
    {
        var client = new TcpClient(AddressFamily.InterNetwork);
        await client.ConnectAsync(endpoint).WaitAsync(TimeoutExtensions.Default);
        var socket = new RawWebSocket(client);
        if (upgrade)
        {
            string response = await socket.SendUpgradeAsync(
                $"GET / HTTP/1.1\r\nHost: {endpoint}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
            Assert.That(response, Does.StartWith("HTTP/1.1 101"));
            Assert.That(response, Does.Contain("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo="));
        }

        return socket;
    }

    /// <summary>Sends an upgrade request and returns the response head.</summary>
    public async Task<string> SendUpgradeAsync(string request)
    {
        await _stream.WriteAsync(Encoding.ASCII.GetBytes(request)).AsTask().DefaultTimeout();
        var head = new StringBuilder();
        var one = new byte[1];
        while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            int n = await _stream.ReadAsync(one).AsTask().DefaultTimeout();
            if (n == 0)
            {
                break;
            }

            head.Append((char)one[0]);
        }

        return head.ToString();
    }

    /// <summary>Builds a client frame; masked unless told otherwise.</summary>
    public static byte[] Frame(byte opcode, ReadOnlySpan<byte> payload, bool fin = true, bool masked = true, byte rsv = 0)
    {
        var frame = new List<byte> { (byte)((fin ? 0x80 : 0) | rsv | opcode) };
        byte maskBit = masked ? (byte)0x80 : (byte)0;
        if (payload.Length < 126)
        {
            frame.Add((byte)(maskBit | payload.Length));
        }
        else if (payload.Length <= ushort.MaxValue)
        {
            frame.Add((byte)(maskBit | 126));
            frame.Add((byte)(payload.Length >> 8));
            frame.Add((byte)payload.Length);
        }
        else
        {
            frame.Add((byte)(maskBit | 127));
            var len = new byte[8];
            BinaryPrimitives.WriteUInt64BigEndian(len, (ulong)payload.Length);
            frame.AddRange(len);
        }

        byte[] mask = [0x12, 0x34, 0x56, 0x78];
        if (masked)
        {
            frame.AddRange(mask);
        }

        for (int i = 0; i < payload.Length; i++)
        {
            frame.Add(masked ? (byte)(payload[i] ^ mask[i % 4]) : payload[i]);
        }

        return [.. frame];
    }

    public Task SendAsync(byte[] bytes) => _stream.WriteAsync(bytes).AsTask().DefaultTimeout();

    /// <summary>Reads one server frame: opcode and payload; null at end of stream.</summary>
    public async Task<(byte Opcode, byte[] Payload)?> ReadFrameAsync()
    {
        byte[] head = new byte[2];
        if (!await ReadExactly(head))
        {
            return null;
        }

        long length = head[1] & 0x7F;
        if (length == 126)
        {
            byte[] ext = new byte[2];
            await ReadExactly(ext);
            length = BinaryPrimitives.ReadUInt16BigEndian(ext);
        }
        else if (length == 127)
        {
            byte[] ext = new byte[8];
            await ReadExactly(ext);
            length = (long)BinaryPrimitives.ReadUInt64BigEndian(ext);
        }

        byte[] payload = new byte[length];
        await ReadExactly(payload);
        return ((byte)(head[0] & 0x0F), payload);
    }

    /// <summary>Reads frames until a close frame; returns its status code (or null if the stream just ended).</summary>
    public async Task<int?> ReadCloseCodeAsync()
    {
        while (true)
        {
            (byte Opcode, byte[] Payload)? frame = await ReadFrameAsync();
            if (frame is null)
            {
                return null;
            }

            if (frame.Value.Opcode == 0x8)
            {
                return frame.Value.Payload.Length >= 2 ? BinaryPrimitives.ReadUInt16BigEndian(frame.Value.Payload) : 1005;
            }
        }
    }

    /// <summary>True when the server closed the TCP connection (reads end) within the default timeout.</summary>
    public async Task<bool> ServerClosedAsync()
    {
        var buffer = new byte[4096];
        try
        {
            while (true)
            {
                int n = await _stream.ReadAsync(buffer).AsTask().DefaultTimeout();
                if (n == 0)
                {
                    return true;
                }
            }
        }
        catch (IOException)
        {
            return true;
        }
    }

    private async Task<bool> ReadExactly(byte[] buffer)
    {
        try
        {
            await _stream.ReadExactlyAsync(buffer).AsTask().DefaultTimeout();
            return true;
        }
        catch (EndOfStreamException)
        {
            return false;
        }
        catch (IOException)
        {
            return false;
        }
    }

    public void Dispose() => _client.Dispose();
}
