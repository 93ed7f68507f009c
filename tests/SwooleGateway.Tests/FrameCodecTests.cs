using System.Buffers;
using System.IO.Pipelines;
using MessagePack;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging.Abstractions;
using SwooleGateway.Options;
using SwooleGateway.Protocol;
using SwooleGateway.Tests.Infrastructure;

namespace SwooleGateway.Tests;

/// <summary>The internal frame codec and handshake over in-memory pipes.</summary>
[TestFixture]
[CancelAfter(30_000)]
public sealed class FrameCodecTests
{
    /// <summary>A frame built by hand (not by the codec under test): length prefix, then an array of the items.</summary>
    private static byte[] RawFrame(params object[] items)
    {
        var body = new ArrayBufferWriter<byte>();
        var w = new MessagePackWriter(body);
        w.WriteArrayHeader(items.Length);
        foreach (object item in items)
        {
            switch (item)
            {
                case uint u: w.Write(u); break;
                case string s: w.Write(s); break;
                case byte[] b: w.Write(b); break;
                default: throw new ArgumentException(item.GetType().Name);
            }
        }

        w.Flush();
        byte[] frame = new byte[FrameCodec.HeaderSize + body.WrittenCount];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(frame, (uint)body.WrittenCount);
        body.WrittenSpan.CopyTo(frame.AsSpan(FrameCodec.HeaderSize));
        return frame;
    }

    private static async Task<List<byte[]>> ReadAllFrames(PipeReader reader, int max = 1024)
    {
        var bodies = new List<byte[]>();
        while (true)
        {
            ReadResult result = await reader.ReadAsync().AsTask().DefaultTimeout();
            ReadOnlySequence<byte> buffer = result.Buffer;
            try
            {
                while (FrameCodec.TryReadFrame(ref buffer, max, out ReadOnlySequence<byte> body))
                {
                    bodies.Add(body.ToArray());
                }

                if (result.IsCompleted)
                {
                    if (!buffer.IsEmpty)
                    {
                        throw new EndOfStreamException($"truncated frame: {buffer.Length} bytes left");
                    }

                    return bodies;
                }
            }
            finally
            {
                reader.AdvanceTo(buffer.Start, buffer.End);
            }
        }
    }

    [Test]
    public async Task Frames_written_one_byte_at_a_time_are_reassembled()
    {
        var pipe = new Pipe();
        byte[] bytes = [.. RawFrame(5u), .. RawFrame(33u, "hello"), .. RawFrame(18u, new byte[300])];
        Task<List<byte[]>> reading = ReadAllFrames(pipe.Reader);
        foreach (byte b in bytes)
        {
            await pipe.Writer.WriteAsync(new[] { b }).AsTask().DefaultTimeout();
        }

        await pipe.Writer.CompleteAsync();
        List<byte[]> frames = await reading.DefaultTimeout();
        Assert.That(frames, Has.Count.EqualTo(3));
        Assert.That(frames[1], Is.EqualTo(RawFrame(33u, "hello")[4..]));
    }

    [Test]
    public async Task Several_frames_in_one_read_are_all_taken()
    {
        var pipe = new Pipe();
        byte[] bytes = [.. RawFrame(5u), .. RawFrame(6u), .. RawFrame(5u), .. RawFrame(6u)];
        await pipe.Writer.WriteAsync(bytes).AsTask().DefaultTimeout();
        await pipe.Writer.CompleteAsync();
        Assert.That(await ReadAllFrames(pipe.Reader).DefaultTimeout(), Has.Count.EqualTo(4));
    }

    [Test]
    public void Oversize_length_is_refused_from_the_header_alone()
    {
        var buffer = new ReadOnlySequence<byte>(new byte[] { 0x00, 0x10, 0x00, 0x01 });
        ProtocolErrorException ex = Assert.Throws<ProtocolErrorException>(() => FrameCodec.TryReadFrame(ref buffer, 1024, out _))!;
        Assert.That(ex.Message, Does.Contain("exceeds the limit"));
    }

    [Test]
    public void Zero_length_frame_is_refused()
    {
        var buffer = new ReadOnlySequence<byte>(new byte[] { 0, 0, 0, 0 });
        Assert.Throws<ProtocolErrorException>(() => FrameCodec.TryReadFrame(ref buffer, 1024, out _));
    }

    [Test]
    public void Incomplete_header_and_body_wait_for_more()
    {
        byte[] frame = RawFrame(33u, "hello");
        for (int cut = 0; cut < frame.Length; cut++)
        {
            var buffer = new ReadOnlySequence<byte>(frame, 0, cut);
            Assert.That(FrameCodec.TryReadFrame(ref buffer, 1024, out _), Is.False, $"cut at {cut}");
            Assert.That(buffer.Length, Is.EqualTo(cut), "nothing consumed");
        }
    }

    [Test]
    public void Truncated_frame_at_end_of_stream_is_an_error()
    {
        var pipe = new Pipe();
        pipe.Writer.Write(RawFrame(33u, "hello")[..7]);
        pipe.Writer.Complete();
        Assert.ThrowsAsync<EndOfStreamException>(() => ReadAllFrames(pipe.Reader));
    }

    [Test]
    public async Task Handshake_with_the_same_secret_succeeds_over_in_memory_pipes()
    {
        (ConnectionContext server, ConnectionContext client) = InMemoryConnection.CreatePair();
        var options = new SwooleGatewayOptions { Secret = "s3cret" };
        Task<InternalConnection?> accept = InternalConnection.AcceptAsync(server, "gateway", "gw-1", r => r == "worker", options, NullLogger.Instance, CancellationToken.None);
        InternalConnection connected = await InternalConnection.HandshakeAsClientAsync(client, "memory", "worker", "w-1", options, NullLogger.Instance, CancellationToken.None).DefaultTimeout();
        InternalConnection? accepted = await accept.DefaultTimeout();
        Assert.That(accepted, Is.Not.Null);
        Assert.That(accepted!.PeerRole, Is.EqualTo("worker"));
        Assert.That(accepted.PeerId, Is.EqualTo("w-1"));
        Assert.That(connected.PeerRole, Is.EqualTo("gateway"));
        Assert.That(connected.PeerId, Is.EqualTo("gw-1"));
    }

    [Test]
    public async Task Handshake_with_a_different_secret_is_rejected_and_the_secret_never_crosses()
    {
        (ConnectionContext server, ConnectionContext client) = InMemoryConnection.CreatePair();
        Task<InternalConnection?> accept = InternalConnection.AcceptAsync(server, "gateway", "gw-1", _ => true, new SwooleGatewayOptions { Secret = "server-secret" }, NullLogger.Instance, CancellationToken.None);
        HandshakeException ex = Assert.ThrowsAsync<HandshakeException>(() =>
            InternalConnection.HandshakeAsClientAsync(client, "memory", "worker", "w-1", new SwooleGatewayOptions { Secret = "client-secret" }, NullLogger.Instance, CancellationToken.None).DefaultTimeout())!;
        Assert.That(ex.Message, Does.Contain("wrong secret"));
        Assert.That(await accept.DefaultTimeout(), Is.Null);
    }

    [Test]
    public async Task A_role_the_server_does_not_take_is_rejected()
    {
        (ConnectionContext server, ConnectionContext client) = InMemoryConnection.CreatePair();
        var options = new SwooleGatewayOptions { Secret = "s" };
        Task<InternalConnection?> accept = InternalConnection.AcceptAsync(server, "register", "r", r => r == "worker", options, NullLogger.Instance, CancellationToken.None);
        HandshakeException ex = Assert.ThrowsAsync<HandshakeException>(() =>
            InternalConnection.HandshakeAsClientAsync(client, "memory", "martian", "m", options, NullLogger.Instance, CancellationToken.None).DefaultTimeout())!;
        Assert.That(ex.Message, Does.Contain("martian"));
        Assert.That(await accept.DefaultTimeout(), Is.Null);
    }

    [Test]
    public async Task Random_and_mutated_handshakes_never_get_through_and_never_throw()
    {
        var random = new Random(1234);
        var options = new SwooleGatewayOptions { Secret = "s", HandshakeTimeout = TimeSpan.FromSeconds(2) };
        byte[] validAuthShape = RawFrame(2u, 1u, "worker", "w", new byte[32], new byte[32]);
        for (int i = 0; i < 300; i++)
        {
            (ConnectionContext server, IDuplexPipe peer) = InMemoryConnection.CreateWithRawPeer();
            byte[] input;
            if (i % 2 == 0)
            {
                input = new byte[random.Next(0, 200)];
                random.NextBytes(input);
            }
            else
            {
                input = (byte[])validAuthShape.Clone();
                for (int m = 0; m < 1 + random.Next(4); m++)
                {
                    input[random.Next(input.Length)] ^= (byte)(1 << random.Next(8));
                }
            }

            Task<InternalConnection?> accept = InternalConnection.AcceptAsync(server, "gateway", "g", _ => true, options, NullLogger.Instance, CancellationToken.None);
            await peer.Output.WriteAsync(input).AsTask().DefaultTimeout();
            await peer.Output.CompleteAsync();
            Assert.That(await accept.DefaultTimeout(), Is.Null, $"input {i} must not authenticate");
        }
    }
}
