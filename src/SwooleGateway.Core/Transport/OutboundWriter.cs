using System.Buffers;
using System.IO.Pipelines;

namespace SwooleGateway.Transport;

/// <summary>
/// The single writer of one connection's output pipe. Hot path: any thread calls <c>TryWrite</c>; when
/// no flush is pending the bytes go straight into the pipe and the flush completes synchronously (the
/// transport's sender coalesces everything that is in the pipe into as few syscalls as it can). While a
/// flush is pending because the socket is slow, writes go to a bounded backlog that the flush
/// continuation drains. No lock is held across I/O and nothing is allocated per message.
/// </summary>
internal sealed class OutboundWriter
{
    private readonly PipeWriter _output;
    private readonly long _maxBacklogBytes;
    private PooledBufferWriter? _backlogBuffer; // created the first time a socket is slow: idle connections do not carry one
    private readonly OverflowPolicy _policy;
    private Queue<int>? _frameSizes; // backlog frame boundaries, kept only for DropOldest
    private bool _flushing;
    private bool _unflushed; // deferred writes are in the pipe, not yet flushed
    private bool _closed;
    private long _episodeStart;

    // Guarded by lock(this): the type is internal and never exposed, and a separate lock object would cost
    // 40 bytes on every one of hundreds of thousands of connections.
    private PooledBufferWriter Backlog => _backlogBuffer ??= new PooledBufferWriter();

    private int BacklogCount => _backlogBuffer?.WrittenCount ?? 0;

    /// <summary>The backlog bound this writer was made with.</summary>
    public long MaxBacklogBytes => _maxBacklogBytes;

    /// <summary>What happens to a write beyond <see cref="MaxBacklogBytes"/>.</summary>
    public OverflowPolicy Policy => _policy;

    public OutboundWriter(PipeWriter output, long maxBacklogBytes, OverflowPolicy policy = OverflowPolicy.Fail)
    {
        _output = output;
        _maxBacklogBytes = maxBacklogBytes;
        _policy = policy;
    }

    /// <summary>
    /// True at most once per 10 s: lets the owner log a slow consumer once per episode instead of once per message
    /// (a client that never reads still drains in bursts while the kernel grows its socket buffers, so "until the
    /// queue drains" would split one episode into many).
    /// </summary>
    public bool TryBeginOverflowEpisode()
    {
        lock (this)
        {
            long now = Environment.TickCount64;
            if (_episodeStart != 0 && now - _episodeStart < 10_000)
            {
                return false;
            }

            _episodeStart = now;
            return true;
        }
    }

    public WriteResult TryWrite(ReadOnlySpan<byte> data) => TryWrite(data, ReadOnlySequence<byte>.Empty, default);

    /// <summary>
    /// Writes <paramref name="header"/>, <paramref name="payload"/> and <paramref name="trailer"/> as one unit. With
    /// <paramref name="defer"/> the bytes go into the pipe unflushed and the first such write returns
    /// <see cref="WriteResult.Deferred"/>: the caller then owes one <see cref="Flush"/> (a batch of commands writes
    /// many messages to the same clients and sends each client's share with one syscall at the end of the batch).
    /// </summary>
    public WriteResult TryWrite(ReadOnlySpan<byte> header, in ReadOnlySequence<byte> payload, ReadOnlySpan<byte> trailer, bool defer = false)
    {
        long size = header.Length + payload.Length + trailer.Length;
        ValueTask<FlushResult> flush;
        lock (this)
        {
            if (_closed)
            {
                return WriteResult.Closed;
            }

            if (_flushing)
            {
                WriteResult result = WriteResult.Queued;
                if (BacklogCount + size > _maxBacklogBytes)
                {
                    if (_policy != OverflowPolicy.DropOldest || size > _maxBacklogBytes)
                    {
                        return _policy == OverflowPolicy.Fail ? WriteResult.Overflow : WriteResult.Dropped;
                    }

                    int discard = 0;
                    while (_frameSizes!.Count > 0 && BacklogCount - discard + size > _maxBacklogBytes)
                    {
                        discard += _frameSizes.Dequeue();
                    }

                    Backlog.DiscardPrefix(discard);
                    result = WriteResult.QueuedAfterDroppingOldest;
                }

                Copy(Backlog, header, payload, trailer);
                if (_policy == OverflowPolicy.DropOldest)
                {
                    (_frameSizes ??= new Queue<int>()).Enqueue((int)size);
                }

                return result;
            }

            Copy(_output, header, payload, trailer);
            if (defer)
            {
                if (_unflushed)
                {
                    return WriteResult.Written; // whoever deferred first flushes these bytes too
                }

                _unflushed = true;
                return WriteResult.Deferred;
            }

            if (!StartFlush(out flush))
            {
                return _closed ? WriteResult.Closed : WriteResult.Written;
            }
        }

        _ = FlushSlowAsync(flush);
        return WriteResult.Queued;
    }

    /// <summary>Sends what deferred writes left in the pipe (owed once by whoever got <see cref="WriteResult.Deferred"/>).</summary>
    public void Flush()
    {
        ValueTask<FlushResult> flush;
        lock (this)
        {
            if (!_unflushed || _flushing || !StartFlush(out flush))
            {
                return;
            }
        }

        _ = FlushSlowAsync(flush);
    }

    /// <summary>
    /// Stops accepting writes; what was already accepted (deferred bytes, the backlog behind a slow socket) still goes
    /// out. Does not complete the pipe: the connection owner does that.
    /// </summary>
    public void Close()
    {
        ValueTask<FlushResult> flush;
        lock (this)
        {
            _closed = true;
            if (_flushing)
            {
                return;
            }

            _backlogBuffer?.Reset();
            if (!_unflushed || !StartFlush(out flush))
            {
                return;
            }
        }

        _ = FlushSlowAsync(flush);
    }

    /// <summary>Flushes the pipe (under the lock). True when the flush is pending: the caller starts <see cref="FlushSlowAsync"/>.</summary>
    private bool StartFlush(out ValueTask<FlushResult> flush)
    {
        _unflushed = false;
        try
        {
            flush = _output.FlushAsync();
        }
        catch (InvalidOperationException)
        {
            _closed = true;
            flush = default;
            return false;
        }

        if (flush.IsCompletedSuccessfully)
        {
            if (flush.Result.IsCompleted)
            {
                _closed = true;
            }

            return false;
        }

        _flushing = true;
        return true;
    }

    /// <summary>Completes when nothing is pending in our backlog or a flush (bounded by the caller's token).</summary>
    public async Task DrainAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            lock (this)
            {
                if (!_flushing)
                {
                    return;
                }
            }

            await Task.Delay(10, cancellationToken).ConfigureAwait(false);
        }
    }

    private static void Copy(IBufferWriter<byte> destination, ReadOnlySpan<byte> header, in ReadOnlySequence<byte> payload, ReadOnlySpan<byte> trailer)
    {
        int total = checked(header.Length + (int)payload.Length + trailer.Length);
        Span<byte> span = destination.GetSpan(total);
        header.CopyTo(span);
        int offset = header.Length;
        if (payload.IsSingleSegment)
        {
            payload.FirstSpan.CopyTo(span.Slice(offset));
        }
        else
        {
            payload.CopyTo(span.Slice(offset));
        }

        offset += (int)payload.Length;
        trailer.CopyTo(span.Slice(offset));
        destination.Advance(total);
    }

    private async Task FlushSlowAsync(ValueTask<FlushResult> pending)
    {
        while (true)
        {
            FlushResult result;
            try
            {
                result = await pending.ConfigureAwait(false);
            }
            catch (Exception)
            {
                result = new FlushResult(isCanceled: false, isCompleted: true);
            }

            lock (this)
            {
                // Close() stops new writes but lets the backlog drain (a graceful close delivers what was queued);
                // only a dead or cancelled socket discards it.
                if (result.IsCompleted || result.IsCanceled)
                {
                    _closed = true;
                    _flushing = false;
                    _backlogBuffer?.Reset();
                    return;
                }

                if (BacklogCount == 0)
                {
                    _flushing = false;
                    _backlogBuffer?.Reset();
                    return;
                }

                try
                {
                    _output.Write(Backlog.WrittenSpan);
                    _backlogBuffer?.Reset();
                    _frameSizes?.Clear();
                    pending = _output.FlushAsync();
                }
                catch (InvalidOperationException)
                {
                    _closed = true;
                    _flushing = false;
                    _backlogBuffer?.Reset();
                    return;
                }
            }
        }
    }
}

internal enum WriteResult
{
    /// <summary>In the transport's pipe.</summary>
    Written,

    /// <summary>In the transport's pipe, unflushed: the caller owes <see cref="OutboundWriter.Flush"/>.</summary>
    Deferred,

    /// <summary>In our backlog, behind a pending flush.</summary>
    Queued,

    /// <summary>Rejected: the backlog limit would be exceeded.</summary>
    Overflow,

    /// <summary>Rejected: the connection is closing.</summary>
    Closed,

    /// <summary>Rejected by the framing (the message cannot be framed for this connection).</summary>
    Rejected,

    /// <summary>Dropped by <see cref="OverflowPolicy.DropNewest"/>: the backlog is full.</summary>
    Dropped,

    /// <summary>Queued after <see cref="OverflowPolicy.DropOldest"/> discarded older queued messages to make room.</summary>
    QueuedAfterDroppingOldest,
}

/// <summary>What an <see cref="OutboundWriter"/> does when its backlog is full.</summary>
internal enum OverflowPolicy
{
    /// <summary>Refuse the write (<see cref="WriteResult.Overflow"/>); the owner closes the connection.</summary>
    Fail,

    /// <summary>Drop the new message.</summary>
    DropNewest,

    /// <summary>Drop the oldest queued messages to make room for the new one.</summary>
    DropOldest,
}
