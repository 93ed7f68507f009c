using System.IO.Pipelines;
using System.Net.Sockets;

namespace SwooleGateway.Transport;

/// <summary>
/// A <see cref="PipeWriter"/> straight over a non-blocking socket, for client connections. <see cref="FlushAsync"/>
/// sends on the caller's thread with one non-blocking <c>send</c> (no queue, no thread hop: the fast path of a
/// message to a client); only when the kernel's send buffer is full does it fall back to an asynchronous send of
/// the rest, and that flush stays pending until the socket took everything. The buffer is rented for a write and
/// returned once it is sent, so an idle connection holds none.
/// <para>
/// Contract (what <see cref="OutboundWriter"/> guarantees): one writer at a time, and no writes while a flush is
/// pending; a second writer is a bug and throws <see cref="InvalidOperationException"/>.
/// </para>
/// </summary>
internal class SocketPipeWriter : PipeWriter
{
    private const int MinimumBuffer = 512; // a small message and its header; deferred writes grow it

    private readonly Socket? _socket;
    private byte[]? _buffer;
    private int _written;
    private bool _flushing;
    private bool _completed;
    private bool _failed;

    public SocketPipeWriter(Socket? socket) => _socket = socket;

    /// <summary>True while a send buffer is rented (between a write and the end of its flush).</summary>
    internal bool HoldsBuffer => Volatile.Read(ref _buffer) is not null;

    public override Memory<byte> GetMemory(int sizeHint = 0)
    {
        Reserve(sizeHint);
        return _buffer.AsMemory(_written);
    }

    public override Span<byte> GetSpan(int sizeHint = 0)
    {
        Reserve(sizeHint);
        return _buffer.AsSpan(_written);
    }

    public override void Advance(int bytes)
    {
        if (_buffer is null || bytes < 0 || _written + bytes > _buffer.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(bytes));
        }

        _written += bytes;
    }

    public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
    {
        if (_flushing)
        {
            throw new InvalidOperationException("A flush is already pending on this connection.");
        }

        if (_failed || _completed)
        {
            ReleaseBuffer();
            return new ValueTask<FlushResult>(new FlushResult(isCanceled: false, isCompleted: true));
        }

        if (_written == 0)
        {
            return default;
        }

        int sent = 0;
        SocketError error = SocketError.Success;
        try
        {
            while (sent < _written)
            {
                int n = Send(_buffer.AsSpan(sent, _written - sent), out error);
                if (error != SocketError.Success)
                {
                    break;
                }

                sent += n;
            }
        }
        catch (ObjectDisposedException)
        {
            error = SocketError.OperationAborted;
        }

        if (sent == _written)
        {
            ReleaseBuffer();
            return default;
        }

        if (error == SocketError.WouldBlock)
        {
            _flushing = true; // the kernel's buffer is full: the slow path
            return new ValueTask<FlushResult>(SendRestAsync(sent));
        }

        _failed = true; // reset, aborted, ...: the connection is over
        ReleaseBuffer();
        return new ValueTask<FlushResult>(new FlushResult(isCanceled: false, isCompleted: true));
    }

    public override void CancelPendingFlush()
    {
        // A pending flush ends when the socket takes the bytes or the connection closes; nothing else cancels it.
    }

    public override void Complete(Exception? exception = null)
    {
        _completed = true;
        if (!_flushing)
        {
            ReleaseBuffer();
        }
    }

    private async Task<FlushResult> SendRestAsync(int offset)
    {
        try
        {
            int total = _written;
            while (offset < total)
            {
                offset += await _socket!.SendAsync(_buffer.AsMemory(offset, total - offset), SocketFlags.None).ConfigureAwait(false);
            }

            return default;
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or OperationCanceledException)
        {
            _failed = true;
            return new FlushResult(isCanceled: false, isCompleted: true);
        }
        finally
        {
            _flushing = false;
            ReleaseBuffer();
        }
    }

    /// <summary>One non-blocking send (the benchmarks replace it with one that discards).</summary>
    protected virtual int Send(ReadOnlySpan<byte> data, out SocketError error) => _socket!.Send(data, SocketFlags.None, out error);

    private void Reserve(int sizeHint)
    {
        if (_flushing)
        {
            throw new InvalidOperationException("Cannot write while a flush is pending on this connection.");
        }

        sizeHint = Math.Max(sizeHint, 1);
        if (_buffer is null)
        {
            _buffer = BufferPool.Rent(Math.Max(sizeHint, MinimumBuffer));
            _written = 0;
        }
        else if (_buffer.Length - _written < sizeHint)
        {
            byte[] larger = BufferPool.Rent(Math.Max(_buffer.Length * 2, _written + sizeHint));
            _buffer.AsSpan(0, _written).CopyTo(larger);
            BufferPool.Return(_buffer);
            _buffer = larger;
        }
    }

    private void ReleaseBuffer()
    {
        // Complete() may race the end of a slow send: exactly one of them returns the array.
        if (Interlocked.Exchange(ref _buffer, null) is { } buffer)
        {
            _written = 0;
            BufferPool.Return(buffer);
        }
    }
}
