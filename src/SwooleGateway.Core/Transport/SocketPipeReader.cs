using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Threading.Tasks.Sources;

namespace SwooleGateway.Transport;

/// <summary>
/// A <see cref="PipeReader"/> straight over a socket, for client connections, of which a gateway holds hundreds of
/// thousands, most of them idle. While nothing is buffered it waits with a zero-byte receive, so an idle connection
/// holds no buffer at all; data goes into one contiguous array rented from the client buffer pool, kept only while a message
/// is incomplete (grown when a message is larger) and returned the moment everything has been consumed.
/// <para>
/// One read at a time (the pipe contract). Positions are (array, absolute index) pairs into the current array. A
/// read completes with <see cref="ReadResult.IsCompleted"/> when the peer closed or the socket failed (a reset is an
/// ordinary end of a client, not an exception). No allocation per read: the socket's cached receive operation, a
/// cached continuation and <see cref="ManualResetValueTaskSourceCore{TResult}"/>.
/// </para>
/// <para>Thread safety: the state is guarded by <c>lock(this)</c> (the type is internal; a lock object would cost
/// every connection 24 bytes); the socket completion, the reader and <see cref="CancelPendingRead"/> may race.</para>
/// </summary>
internal sealed class SocketPipeReader : PipeReader, IValueTaskSource<ReadResult>
{
    private const int InitialBuffer = 4096;
    private const int MinimumReceive = 1024;

    private readonly Socket _socket;
    private readonly Action _onReceived;
    private ManualResetValueTaskSourceCore<ReadResult> _source;
    private ConfiguredValueTaskAwaitable<int>.ConfiguredValueTaskAwaiter _awaiter;
    private CancellationTokenRegistration _registration;
    private CancellationToken _readToken;

    private byte[]? _buffer;
    private int _start;    // first unconsumed byte
    private int _end;      // end of received data
    private int _examined; // the consumer has seen everything before this

    private bool _receiving;       // a socket receive is outstanding
    private bool _zeroByte;        // ...and it is the zero-byte wait (does not touch _buffer)
    private bool _dataReady;       // the zero-byte wait completed: receive into a buffer next
    private bool _waiting;         // the consumer awaits _source
    private bool _cancelRequested; // CancelPendingRead with no read pending: the next read returns IsCanceled
    private bool _eof;
    private bool _completed;

    public SocketPipeReader(Socket socket)
    {
        _socket = socket;
        _onReceived = OnReceived;
        _source.RunContinuationsAsynchronously = false; // the socket already completes on a pool thread
    }

    /// <summary>True while a receive buffer is rented (an idle connection's reader holds none).</summary>
    internal bool HoldsBuffer
    {
        get
        {
            lock (this)
            {
                return _buffer is not null;
            }
        }
    }

    public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
    {
        bool startReceive;
        lock (this)
        {
            ObjectDisposedException.ThrowIf(_completed, this);
            if (_waiting)
            {
                throw new InvalidOperationException("A read is already pending on this connection.");
            }

            if (_cancelRequested)
            {
                _cancelRequested = false;
                return new ValueTask<ReadResult>(Result(canceled: true));
            }

            if (_end > _examined || _eof)
            {
                return new ValueTask<ReadResult>(Result(canceled: false));
            }

            cancellationToken.ThrowIfCancellationRequested();
            _waiting = true;
            _source.Reset();
            startReceive = !_receiving;
            _receiving = true;
            _readToken = cancellationToken;
        }

        if (cancellationToken.CanBeCanceled)
        {
            CancellationTokenRegistration registration = cancellationToken.UnsafeRegister(static s => ((SocketPipeReader)s!).OnTokenCancelled(), this);
            lock (this)
            {
                if (_waiting)
                {
                    _registration = registration;
                    registration = default;
                }
            }

            registration.Dispose(); // the read already completed
        }

        if (startReceive)
        {
            Receive();
        }

        return new ValueTask<ReadResult>(this, _source.Version);
    }

    public override bool TryRead(out ReadResult result)
    {
        lock (this)
        {
            ObjectDisposedException.ThrowIf(_completed, this);
            if (_cancelRequested)
            {
                _cancelRequested = false;
                result = Result(canceled: true);
                return true;
            }

            if (_end > _examined || _eof)
            {
                result = Result(canceled: false);
                return true;
            }

            result = default;
            return false;
        }
    }

    public override void AdvanceTo(SequencePosition consumed) => AdvanceTo(consumed, consumed);

    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
    {
        lock (this)
        {
            if (_buffer is null || consumed.GetObject() != _buffer)
            {
                return; // an empty result (nothing buffered): nothing to advance
            }

            int c = consumed.GetInteger();
            int e = examined.GetObject() == _buffer ? examined.GetInteger() : c;
            if (c < _start || c > _end || e < c || e > _end)
            {
                throw new ArgumentOutOfRangeException(nameof(consumed), "The position is outside the last read's buffer.");
            }

            _start = c;
            _examined = e;
            if (_start == _end && !(_receiving && !_zeroByte))
            {
                ReleaseBuffer(); // everything consumed: an idle connection holds nothing
            }
        }
    }

    public override void CancelPendingRead()
    {
        ReadResult result;
        CancellationTokenRegistration registration;
        lock (this)
        {
            if (!_waiting)
            {
                _cancelRequested = true;
                return;
            }

            _waiting = false;
            result = Result(canceled: true);
            registration = TakeRegistration();
        }

        registration.Dispose();
        _source.SetResult(result);
    }

    public override void Complete(Exception? exception = null)
    {
        lock (this)
        {
            _completed = true;
            if (!(_receiving && !_zeroByte))
            {
                ReleaseBuffer(); // else the receive that fills it returns it when it completes
            }
        }
    }

    ReadResult IValueTaskSource<ReadResult>.GetResult(short token) => _source.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<ReadResult>.GetStatus(short token) => _source.GetStatus(token);

    void IValueTaskSource<ReadResult>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _source.OnCompleted(continuation, state, token, flags);

    /// <summary>Runs receives until one is pending or a result is delivered. Called with <c>_receiving</c> set.</summary>
    private void Receive()
    {
        while (true)
        {
            ValueTask<int> operation;
            lock (this)
            {
                if (_completed || _eof)
                {
                    _receiving = false;
                    if (_completed)
                    {
                        ReleaseBuffer();
                    }

                    return;
                }

                _zeroByte = !_dataReady && (_buffer is null || _start == _end);
                _dataReady = false;
                if (_zeroByte)
                {
                    ReleaseBuffer();
                }
                else if (_buffer is null)
                {
                    _buffer = BufferPool.Rent(InitialBuffer);
                    _start = _end = _examined = 0;
                }
                else
                {
                    EnsureSpace();
                }
            }

            try
            {
                operation = _zeroByte
                    ? _socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None)
                    : _socket.ReceiveAsync(_buffer.AsMemory(_end), SocketFlags.None);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                if (!Received(0, failed: true))
                {
                    return;
                }

                continue;
            }

            if (!operation.IsCompleted)
            {
                _awaiter = operation.ConfigureAwait(false).GetAwaiter();
                _awaiter.UnsafeOnCompleted(_onReceived);
                return;
            }

            if (!Complete(operation.ConfigureAwait(false).GetAwaiter()))
            {
                return;
            }
        }
    }

    private void OnReceived()
    {
        if (Complete(_awaiter))
        {
            Receive();
        }
    }

    /// <summary>Takes a finished receive's result; true when another receive should follow at once.</summary>
    private bool Complete(ConfiguredValueTaskAwaitable<int>.ConfiguredValueTaskAwaiter awaiter)
    {
        int received;
        try
        {
            received = awaiter.GetResult();
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or OperationCanceledException)
        {
            return Received(0, failed: true);
        }

        return Received(received, failed: false);
    }

    /// <summary>Applies a receive's outcome; true when another receive should follow at once.</summary>
    private bool Received(int count, bool failed)
    {
        ReadResult result;
        CancellationTokenRegistration registration;
        lock (this)
        {
            if (_completed)
            {
                _receiving = false;
                ReleaseBuffer();
                return false;
            }

            if (failed)
            {
                _eof = true;
            }
            else if (_zeroByte)
            {
                _dataReady = true; // data (or the end of the stream) is there: receive it into a buffer now, never before
                return true;
            }
            else if (count == 0)
            {
                _eof = true;
            }
            else
            {
                _end += count;
            }

            _receiving = false;
            if (_start == _end && _eof)
            {
                ReleaseBuffer();
            }

            if (!_waiting)
            {
                return false; // the consumer was cancelled away; the data waits for its next read
            }

            _waiting = false;
            result = Result(canceled: false);
            registration = TakeRegistration();
        }

        registration.Dispose();
        _source.SetResult(result);
        return false;
    }

    private void OnTokenCancelled()
    {
        CancellationToken token;
        lock (this)
        {
            if (!_waiting)
            {
                return;
            }

            _waiting = false;
            token = _readToken;
            _registration = default;
        }

        _source.SetException(new OperationCanceledException(token));
    }

    private CancellationTokenRegistration TakeRegistration()
    {
        CancellationTokenRegistration registration = _registration;
        _registration = default;
        _readToken = default;
        return registration;
    }

    private ReadResult Result(bool canceled) =>
        new(_buffer is null ? default : new ReadOnlySequence<byte>(_buffer, _start, _end - _start), canceled, _eof);

    /// <summary>Makes room after <c>_end</c>: moves the unconsumed bytes to the front, or a larger array when the message needs it.</summary>
    private void EnsureSpace()
    {
        byte[] buffer = _buffer!;
        if (buffer.Length - _end >= MinimumReceive)
        {
            return;
        }

        int live = _end - _start;
        byte[] target = buffer.Length - live >= MinimumReceive ? buffer : BufferPool.Rent(Math.Max(buffer.Length * 2, live + MinimumReceive));
        Buffer.BlockCopy(buffer, _start, target, 0, live);
        if (target != buffer)
        {
            BufferPool.Return(buffer);
            _buffer = target;
        }

        _examined -= _start;
        _end = live;
        _start = 0;
    }

    private void ReleaseBuffer()
    {
        if (_buffer is { } buffer)
        {
            _buffer = null;
            _start = _end = _examined = 0;
            BufferPool.Return(buffer);
        }
    }
}
