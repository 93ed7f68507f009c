using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using BenchmarkDotNet.Attributes;
using MessagePack;
using SwooleGateway.Gateway.Clients;
using SwooleGateway.Gateway.Framing;
using SwooleGateway.Protocol;
using SwooleGateway.Protocol.Messages;
using SwooleGateway.Transport;

namespace SwooleGateway.Benchmarks;

/// <summary>The hot-path codecs: one 64-byte message each. Steady state must allocate 0 B.</summary>
[MemoryDiagnoser]
public class CodecBenchmarks
{
    private readonly byte[] _payload = new byte[64];
    private ReadOnlySequence<byte> _frame;
    private ReadOnlySequence<byte> _wsFrame;
    private ReadOnlySequence<byte> _line;
    private ReadOnlySequence<byte> _prefixed;
    private readonly DelimiterFramer _delimiter = new("\n"u8.ToArray());
    private readonly LengthPrefixFramer _lengthPrefix = new(4, true, false);
    private readonly byte[] _header = new byte[16];
    private readonly IPEndPoint _gateway = new(IPAddress.Parse("10.0.0.7"), 2900);
    private string _clientId = "";

    [GlobalSetup]
    public void Setup()
    {
        _frame = new ReadOnlySequence<byte>(WriteClientMessage().ToArray());
        byte[] ws = new byte[6 + 64];
        ws[0] = 0x81;
        ws[1] = 0x80 | 64;
        _wsFrame = new ReadOnlySequence<byte>(ws);
        _line = new ReadOnlySequence<byte>([.. _payload.Select(_ => (byte)'a'), (byte)'\n']);
        _prefixed = new ReadOnlySequence<byte>([0, 0, 0, 64, .. _payload]);
        _clientId = ClientId.Encode(_gateway, 123456789);
    }

    /// <summary>Gateway → worker event frame (the client frame → worker path).</summary>
    [Benchmark]
    public int InternalFrame_write()
    {
        return WriteClientMessage().Length;
    }

    private ReadOnlySpan<byte> WriteClientMessage() =>
        Frame.Write(new ClientMessageFrame(new EventHeader(42, 123456789UL, EventFlags.Text), 1, null, new ReadOnlySequence<byte>(_payload)));

    [Benchmark]
    public long InternalFrame_read()
    {
        ReadOnlySequence<byte> buffer = _frame;
        FrameCodec.TryReadFrame(ref buffer, 1 << 20, out ReadOnlySequence<byte> body);
        FieldReader frame = Frame.Open(body);
        ClientMessageFrame message = Frame.Read<ClientMessageFrame>(ref frame);
        return (long)message.Header.ConnectionId + message.Payload.Length;
    }

    [Benchmark]
    public int ClientId_encode() => ClientId.Encode(_gateway, 123456789).Length;

    [Benchmark]
    public ulong ClientId_parse()
    {
        ClientId.TryParse(_clientId, out _, out ulong id);
        return id;
    }

    [Benchmark]
    public long WebSocket_parse_and_unmask()
    {
        WebSocketFrames.TryParseHeader(_wsFrame, 1 << 16, out WebSocketFrames.Header h);
        ReadOnlySequence<byte> payload = _wsFrame.Slice(h.HeaderLength, h.PayloadLength);
        WebSocketFrames.Unmask(payload, h.MaskKey);
        return payload.Length;
    }

    [Benchmark]
    public int WebSocket_write_header() => WebSocketFrames.WriteHeader(_header, WebSocketFrames.OpText, 64);

    [Benchmark]
    public long Delimiter_read()
    {
        ReadOnlySequence<byte> buffer = _line;
        _delimiter.TryRead(ref buffer, 1 << 16, out ReadOnlySequence<byte> message, out _);
        return message.Length;
    }

    [Benchmark]
    public long LengthPrefix_read()
    {
        ReadOnlySequence<byte> buffer = _prefixed;
        _lengthPrefix.TryRead(ref buffer, 1 << 16, out ReadOnlySequence<byte> message, out _);
        return message.Length;
    }
}

/// <summary>
/// Fan-out: one 64-byte WebSocket message to 10,000 connections, each with its own outbound writer over the client
/// socket writer the gateway uses, whose send is replaced by one that takes everything (as an unblocked socket does):
/// the buffers, the pool and the batching are the real ones.
/// </summary>
[MemoryDiagnoser]
public class FanOutBenchmarks
{
    private OutboundWriter[] _writers = [];
    private readonly ReadOnlySequence<byte> _payload = new(new byte[64]);

    [Params(10_000)]
    public int Connections { get; set; }

    [GlobalSetup]
    public void Setup() => _writers = [.. Enumerable.Range(0, Connections).Select(_ => new OutboundWriter(new DiscardingSocketWriter(), 1 << 20))];

    [Benchmark]
    public int Broadcast_to_all()
    {
        Span<byte> header = stackalloc byte[WebSocketFrames.MaxServerHeader];
        int n = WebSocketFrames.WriteHeader(header, WebSocketFrames.OpText, _payload.Length);
        int written = 0;
        foreach (OutboundWriter writer in _writers)
        {
            written += writer.TryWrite(header[..n], _payload, default) == WriteResult.Written ? 1 : 0;
        }

        return written;
    }

    /// <summary>The gateway's path for a batch of worker commands: 4 broadcasts written unflushed, then one flush per connection.</summary>
    [Benchmark(OperationsPerInvoke = 4)]
    public int Four_broadcasts_in_one_batch()
    {
        Span<byte> header = stackalloc byte[WebSocketFrames.MaxServerHeader];
        int n = WebSocketFrames.WriteHeader(header, WebSocketFrames.OpText, _payload.Length);
        int deferred = 0;
        for (int b = 0; b < 4; b++)
        {
            foreach (OutboundWriter writer in _writers)
            {
                deferred += writer.TryWrite(header[..n], _payload, default, defer: true) == WriteResult.Deferred ? 1 : 0;
            }
        }

        foreach (OutboundWriter writer in _writers)
        {
            writer.Flush();
        }

        return deferred;
    }
}

/// <summary>Session encode/decode (runs when a session changes, not per message).</summary>
[MemoryDiagnoser]
public class SessionBenchmarks
{
    private readonly Dictionary<string, object?> _session = new() { ["uid"] = "alice", ["level"] = 12, ["room"] = "lobby", ["vip"] = true };
    private byte[] _bytes = [];

    [GlobalSetup]
    public void Setup() => _bytes = MessagePackSerializer.Serialize(_session);

    [Benchmark]
    public int Session_encode() => MessagePackSerializer.Serialize(_session).Length;

    [Benchmark]
    public int Session_decode() => MessagePackSerializer.Deserialize<Dictionary<string, object?>>(_bytes).Count;
}

/// <summary>The gateway's client socket writer with a send that takes every byte at once.</summary>
internal sealed class DiscardingSocketWriter() : SocketPipeWriter(null)
{
    protected override int Send(ReadOnlySpan<byte> data, out System.Net.Sockets.SocketError error)
    {
        error = System.Net.Sockets.SocketError.Success;
        return data.Length;
    }
}
