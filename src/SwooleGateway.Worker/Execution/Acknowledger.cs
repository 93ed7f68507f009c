using SwooleGateway.Protocol;
using SwooleGateway.Protocol.Messages;

namespace SwooleGateway.Worker.Execution;

/// <summary>
/// The acknowledgements of one gateway link: the sequence numbers of the events whose handlers have completed, sent as
/// one <see cref="EventAckFrame"/> (ranges) just before the link's next flush, so they ride in the same syscall as the
/// answers those handlers wrote (which precede them on the link: an acknowledged event's answers are never lost).
/// </summary>
internal sealed class Acknowledger
{
    private readonly InternalConnection _connection;
    private readonly Lock _gate = new();
    private readonly Lock _writing = new();
    private ulong[] _done = new ulong[64]; // under _gate
    private int _count; // under _gate
    private bool _closed; // under _gate
    private long _completed; // under _gate (read without)
    private ulong[] _sorted = new ulong[64]; // under _writing
    private ulong[] _ranges = new ulong[64]; // under _writing

    public Acknowledger(InternalConnection connection)
    {
        _connection = connection;
        connection.BeforeFlush = Write;
    }

    /// <summary>Events of this link whose handlers have completed.</summary>
    public long Completed => Volatile.Read(ref _completed);

    /// <summary>The handler of event <paramref name="sequence"/> has completed.</summary>
    public void Add(ulong sequence)
    {
        lock (_gate)
        {
            if (_closed)
            {
                return; // the link is gone: the gateway redelivers what it did not hear about
            }

            if (_count == _done.Length)
            {
                Array.Resize(ref _done, _count * 2);
            }

            _done[_count++] = sequence;
            Volatile.Write(ref _completed, _completed + 1);
            if (_count > 1)
            {
                return; // the first one since the last write arranged the flush that writes them all
            }
        }

        // The flush that follows writes every acknowledgement collected until then (in a batch: at its end).
        _connection.FlushSoon();
    }

    /// <summary>Writes everything completed so far and flushes, now (a draining worker before it closes its links).</summary>
    public void FlushNow() => _connection.FlushNow();

    /// <summary>The link closed: nothing more is sent.</summary>
    public void Close()
    {
        lock (_gate)
        {
            _closed = true;
            _count = 0;
        }
    }

    private void Write(InternalConnection connection)
    {
        lock (_writing)
        {
            int n;
            lock (_gate)
            {
                n = _count;
                if (n == 0)
                {
                    return;
                }

                if (_sorted.Length < n)
                {
                    _sorted = new ulong[_done.Length];
                }

                Array.Copy(_done, _sorted, n);
                _count = 0;
            }

            Array.Sort(_sorted, 0, n);
            if (_ranges.Length < n * 2)
            {
                _ranges = new ulong[_sorted.Length * 2];
            }

            int r = 0;
            ulong first = _sorted[0];
            ulong last = first;
            for (int i = 1; i < n; i++)
            {
                ulong s = _sorted[i];
                if (s != last + 1)
                {
                    _ranges[r++] = first;
                    _ranges[r++] = last;
                    first = s;
                }

                last = s;
            }

            _ranges[r++] = first;
            _ranges[r++] = last;
            connection.WriteDeferred(Frame.Write(new EventAckFrame(new ULongList(_ranges.AsMemory(0, r)))));
        }
    }
}
