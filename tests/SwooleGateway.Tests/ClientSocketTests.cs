using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using SwooleGateway.Tests.Infrastructure;
using SwooleGateway.Transport;

namespace SwooleGateway.Tests;

/// <summary>The lean client socket transport: the pipe contract over a bare socket, idle connections holding no buffer.</summary>
public sealed class ClientSocketTests
{
    private ClientSocketListener _listener = null!;
    private Socket _peer = null!;
    private ClientSocketConnection _connection = null!;

    private PipeReader Input => ((IDuplexPipe)_connection).Input;

    private PipeWriter Output => ((IDuplexPipe)_connection).Output;

    private SocketPipeReader Reader => (SocketPipeReader)Input;

    private SocketPipeWriter Writer => (SocketPipeWriter)Output;

    [SetUp]
    public async Task SetUp()
    {
        _listener = ClientSocketListener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _peer = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        ValueTask<ConnectionContext?> accept = _listener.AcceptAsync();
        await _peer.ConnectAsync((IPEndPoint)_listener.EndPoint).DefaultTimeout();
        _connection = (ClientSocketConnection)(await accept.DefaultTimeout())!;
    }

    [TearDown]
    public async Task TearDown()
    {
        await _connection.DisposeAsync();
        _peer.Dispose();
        await _listener.DisposeAsync();
    }

    [Test]
    public async Task A_message_read_and_consumed_leaves_no_buffer_behind()
    {
        Assert.That(Reader.HoldsBuffer, Is.False);
        ValueTask<ReadResult> pending = Input.ReadAsync();
        Assert.That(pending.IsCompleted, Is.False, "nothing was sent yet");
        Assert.That(Reader.HoldsBuffer, Is.False, "waiting for data must not hold a buffer");

        await _peer.SendAsync("hello"u8.ToArray());
        ReadResult result = await pending.DefaultTimeout();
        Assert.That(result.Buffer.ToArray(), Is.EqualTo("hello"u8.ToArray()));
        Input.AdvanceTo(result.Buffer.End);
        Assert.That(Reader.HoldsBuffer, Is.False, "everything consumed: the buffer goes back to the pool");
    }

    [Test]
    public async Task An_incomplete_message_is_kept_and_completed_by_later_receives()
    {
        await _peer.SendAsync("abc"u8.ToArray());
        ReadResult first = await Input.ReadAsync().DefaultTimeout();
        Input.AdvanceTo(first.Buffer.Start, first.Buffer.End); // examined, nothing consumed
        Assert.That(Reader.HoldsBuffer, Is.True);

        ValueTask<ReadResult> second = Input.ReadAsync();
        Assert.That(second.IsCompleted, Is.False, "examined data alone does not complete a read");
        await _peer.SendAsync("def"u8.ToArray());
        ReadResult result = await second.DefaultTimeout();
        Assert.That(result.Buffer.ToArray(), Is.EqualTo("abcdef"u8.ToArray()));

        // Consume part: the rest is returned again at once, since it was not examined.
        Input.AdvanceTo(result.Buffer.GetPosition(2));
        ReadResult rest = await Input.ReadAsync().DefaultTimeout();
        Assert.That(rest.Buffer.ToArray(), Is.EqualTo("cdef"u8.ToArray()));
        Input.AdvanceTo(rest.Buffer.End);
        Assert.That(Reader.HoldsBuffer, Is.False);
    }

    [Test]
    public async Task A_message_larger_than_the_buffer_grows_it_and_arrives_intact()
    {
        byte[] message = new byte[300_000];
        new Random(5).NextBytes(message);
        Task send = Task.Run(async () =>
        {
            for (int offset = 0; offset < message.Length; offset += 7_000)
            {
                await _peer.SendAsync(message.AsMemory(offset, Math.Min(7_000, message.Length - offset)));
            }
        });

        ReadResult result;
        while (true)
        {
            result = await Input.ReadAsync().DefaultTimeout();
            if (result.Buffer.Length >= message.Length)
            {
                break;
            }

            Input.AdvanceTo(result.Buffer.Start, result.Buffer.End); // wait for the whole message, like a framer
        }

        Assert.That(result.Buffer.ToArray(), Is.EqualTo(message));
        Input.AdvanceTo(result.Buffer.End);
        await send.DefaultTimeout();
    }

    [Test]
    public async Task The_peer_closing_completes_the_read()
    {
        ValueTask<ReadResult> pending = Input.ReadAsync();
        _peer.Shutdown(SocketShutdown.Send);
        ReadResult result = await pending.DefaultTimeout();
        Assert.That(result.IsCompleted, Is.True);
        Assert.That(result.Buffer.IsEmpty, Is.True);
        Assert.That(Reader.HoldsBuffer, Is.False);
    }

    [Test]
    public async Task A_reset_completes_the_read_without_throwing()
    {
        ValueTask<ReadResult> pending = Input.ReadAsync();
        _peer.LingerState = new LingerOption(true, 0); // close sends RST
        _peer.Close();
        ReadResult result = await pending.DefaultTimeout();
        Assert.That(result.IsCompleted, Is.True);
    }

    [Test]
    public async Task Cancelling_a_pending_read_returns_canceled_and_data_still_arrives_later()
    {
        ValueTask<ReadResult> pending = Input.ReadAsync();
        Input.CancelPendingRead();
        ReadResult canceled = await pending.DefaultTimeout();
        Assert.That(canceled.IsCanceled, Is.True);
        Input.AdvanceTo(canceled.Buffer.End);

        await _peer.SendAsync("after"u8.ToArray());
        ReadResult result = await Input.ReadAsync().DefaultTimeout();
        Assert.That(result.Buffer.ToArray(), Is.EqualTo("after"u8.ToArray()));
        Input.AdvanceTo(result.Buffer.End);

        Input.CancelPendingRead(); // with no read pending: the next read returns canceled at once
        ReadResult next = await Input.ReadAsync().DefaultTimeout();
        Assert.That(next.IsCanceled, Is.True);
    }

    [Test]
    public async Task A_cancelled_token_ends_the_read_and_the_next_read_gets_the_data()
    {
        using var cts = new CancellationTokenSource();
        ValueTask<ReadResult> pending = Input.ReadAsync(cts.Token);
        await cts.CancelAsync();
        Assert.ThrowsAsync<OperationCanceledException>(async () => await pending.DefaultTimeout());

        await _peer.SendAsync("x"u8.ToArray());
        ReadResult result = await Input.ReadAsync().DefaultTimeout();
        Assert.That(result.Buffer.ToArray(), Is.EqualTo("x"u8.ToArray()));
        Input.AdvanceTo(result.Buffer.End);
    }

    [Test]
    public async Task Completing_the_reader_with_a_receive_pending_releases_everything()
    {
        await _peer.SendAsync("ab"u8.ToArray());
        ReadResult result = await Input.ReadAsync().DefaultTimeout();
        Input.AdvanceTo(result.Buffer.Start, result.Buffer.End);
        ValueTask<ReadResult> pending = Input.ReadAsync(); // receive into the kept buffer, pending
        Assert.That(pending.IsCompleted, Is.False);
        await _connection.DisposeAsync(); // closes the socket: the receive ends
        await WaitUntil(() => !Reader.HoldsBuffer, "the buffer of the aborted receive is returned");
    }

    [Test]
    public async Task Writes_go_out_synchronously_while_the_socket_keeps_up()
    {
        Output.Write("ping"u8);
        ValueTask<FlushResult> flush = Output.FlushAsync();
        Assert.That(flush.IsCompletedSuccessfully, Is.True, "the fast path sends on the caller's thread");
        Assert.That(Writer.HoldsBuffer, Is.False);
        Assert.That(await ReceiveExactly(4), Is.EqualTo("ping"u8.ToArray()));
    }

    [Test]
    public async Task A_peer_that_does_not_read_makes_the_flush_pending_and_nothing_is_lost()
    {
        // Fill the kernel's buffers: with nobody reading, a flush eventually goes pending (bounded: 64 MiB at most).
        byte[] chunk = new byte[64 * 1024];
        long written = 0;
        ValueTask<FlushResult> flush = default;
        for (int i = 0; i < 1024; i++)
        {
            chunk.AsSpan().Fill((byte)i);
            Output.Write(chunk);
            written += chunk.Length;
            flush = Output.FlushAsync();
            if (!flush.IsCompleted)
            {
                break;
            }
        }

        Assert.That(flush.IsCompleted, Is.False, "the flush waits for the slow peer");
        Assert.Throws<InvalidOperationException>(() => Output.GetSpan(), "no writes while a flush is pending (OutboundWriter queues them)");

        // Now read everything: the flush completes and the bytes arrive in order.
        byte[] buffer = new byte[256 * 1024];
        long total = 0;
        Task<FlushResult> flushed = flush.AsTask();
        using var cts = new CancellationTokenSource(TimeoutExtensions.Default);
        while (total < written)
        {
            int n = await _peer.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
            Assert.That(n, Is.GreaterThan(0));
            for (int k = 0; k < n; k++)
            {
                Assert.That(buffer[k], Is.EqualTo((byte)((total + k) / chunk.Length)), $"byte {total + k}");
            }

            total += n;
        }

        FlushResult result = await flushed.DefaultTimeout();
        Assert.That(result.IsCompleted, Is.False);
        Assert.That(total, Is.EqualTo(written));
        Assert.That(Writer.HoldsBuffer, Is.False);
    }

    [Test]
    public async Task Writing_to_a_reset_connection_reports_completed()
    {
        _peer.LingerState = new LingerOption(true, 0);
        _peer.Close();
        FlushResult result = default;
        for (int i = 0; i < 100 && !result.IsCompleted; i++)
        {
            Output.Write("data"u8);
            result = await Output.FlushAsync().DefaultTimeout();
            if (!result.IsCompleted)
            {
                await Task.Delay(10); // the RST reaches the socket shortly after the close
            }
        }

        Assert.That(result.IsCompleted, Is.True);
        Assert.That(Writer.HoldsBuffer, Is.False);
    }

    [Test]
    public async Task Deferred_writes_wait_for_the_flush_that_the_first_one_owes_and_leave_together()
    {
        var writer = new OutboundWriter(Output, maxBacklogBytes: 1 << 20);
        Assert.That(writer.TryWrite("one,"u8, ReadOnlySequence<byte>.Empty, default, defer: true), Is.EqualTo(WriteResult.Deferred));
        Assert.That(writer.TryWrite("two,"u8, ReadOnlySequence<byte>.Empty, default, defer: true), Is.EqualTo(WriteResult.Written),
            "only the first deferred write owes the flush");
        Assert.That(_peer.Available, Is.Zero, "nothing is sent before the flush");

        writer.Flush();
        Assert.That(await ReceiveExactly(8), Is.EqualTo("one,two,"u8.ToArray()));

        // Closing sends what is still unflushed, and refuses what comes after.
        Assert.That(writer.TryWrite("three,"u8, ReadOnlySequence<byte>.Empty, default, defer: true), Is.EqualTo(WriteResult.Deferred));
        writer.Close();
        Assert.That(await ReceiveExactly(6), Is.EqualTo("three,"u8.ToArray()));
        Assert.That(writer.TryWrite("late"u8), Is.EqualTo(WriteResult.Closed));
    }

    /// <summary>Reads exactly <paramref name="count"/> bytes from the peer side (bounded by the default timeout).</summary>
    private async Task<byte[]> ReceiveExactly(int count)
    {
        byte[] received = new byte[count];
        int total = 0;
        while (total < count)
        {
            int n = await _peer.ReceiveAsync(received.AsMemory(total)).DefaultTimeout();
            Assert.That(n, Is.GreaterThan(0), $"the connection closed after {total} of {count} bytes");
            total += n;
        }

        return received;
    }

    private static Task WaitUntil(Func<bool> condition, string what) => TimeoutExtensions.WaitUntil(condition, what);
}
