using SwooleGateway.Gateway.Clients;
using SwooleGateway.Protocol;
using SwooleGateway.Transport;

namespace SwooleGateway.Gateway.Routing;

/// <summary>
/// The events sent on one worker link and not acknowledged yet, by sequence number: a ring of slots indexed by the
/// sequence, the frames of up to <see cref="InlineSize"/> bytes copied into the ring's own storage (one array, written
/// in sequence order), bigger ones into pooled arrays. Adding and forgetting an event is an index, a copy and a few
/// field writes: no hashing, no allocation, no pool. The ring covers the sequences from the oldest unacknowledged one
/// to the newest; it doubles when that span outgrows it, up to <see cref="MaxSlots"/>, beyond which the oldest
/// unacknowledged events (a handler that awaits for a long time while the rest flows on) move to a table of their own.
/// Not thread-safe: the owning <see cref="WorkerLink"/>'s lock guards it.
/// </summary>
internal sealed class UnackedEvents
{
    /// <summary>Frames up to this size are kept in the ring's storage (most client events fit).</summary>
    public const int InlineSize = 256;

    private const int InitialSlots = 256; // 64 KiB of storage, allocated with the first event
    private const int MaxSlots = 16384; // 4 MiB of storage at most; older events beyond it move to _stragglers

    private Slot[] _slots = [];
    private byte[] _storage = [];
    private ulong _oldest = 1; // every sequence below it is acknowledged or among the stragglers
    private ulong _newest; // the last sequence added
    private Dictionary<ulong, WorkerLink.Outstanding>? _stragglers;

    /// <summary>Events kept (written under the owner's lock, read without it).</summary>
    public int Count;

    /// <summary>Their frames' bytes (written under the owner's lock, read without it).</summary>
    public long Bytes;

    /// <summary>The ring's size in slots (for tests).</summary>
    public int Capacity => _slots.Length;

    /// <summary>Keeps the event numbered <paramref name="sequence"/> (the one after the last added).</summary>
    public void Add(ulong sequence, ClientConnection client, MessageKind kind, ReadOnlySpan<byte> frame, byte losses = 0)
    {
        if (sequence - _oldest >= (ulong)_slots.Length)
        {
            MakeRoom(sequence);
        }

        int index = Index(sequence);
        ref Slot slot = ref _slots[index];
        if (frame.Length <= InlineSize)
        {
            frame.CopyTo(_storage.AsSpan(index * InlineSize, InlineSize));
            slot.Buffer = null;
        }
        else
        {
            byte[] buffer = BufferPool.Rent(frame.Length);
            frame.CopyTo(buffer);
            slot.Buffer = buffer;
        }

        slot.Client = client;
        slot.Kind = kind;
        slot.Losses = losses;
        slot.Length = frame.Length;
        _newest = sequence;
        Volatile.Write(ref Count, Count + 1);
        Volatile.Write(ref Bytes, Bytes + frame.Length);
    }

    /// <summary>Forgets the event numbered <paramref name="sequence"/>; returns its client, or null when it is not kept (already acknowledged, or never sent).</summary>
    public ClientConnection? Remove(ulong sequence)
    {
        if (sequence >= _oldest && sequence <= _newest)
        {
            ref Slot slot = ref _slots[Index(sequence)];
            if (slot.Client is not { } client)
            {
                return null;
            }

            if (slot.Buffer is { } buffer)
            {
                BufferPool.Return(buffer);
            }

            Forgot(slot.Length);
            slot = default;
            if (sequence == _oldest)
            {
                SkipAcknowledged();
            }

            return client;
        }

        if (sequence < _oldest && _stragglers is not null && _stragglers.Remove(sequence, out WorkerLink.Outstanding straggler))
        {
            Forgot(straggler.Event.Length);
            straggler.Event.Release();
            return straggler.Client;
        }

        return null;
    }

    /// <summary>
    /// Forgets every kept event from <paramref name="first"/> to <paramref name="last"/>, calling <paramref name="forgotten"/>
    /// with each one's client. The work is bounded by what is kept, however wide the range (a hostile one included).
    /// </summary>
    public void RemoveRange<TState>(ulong first, ulong last, ref TState state, ForgottenAction<TState> forgotten) where TState : allows ref struct
    {
        last = Math.Min(last, _newest);
        if (last < first)
        {
            return;
        }

        if (_stragglers is { Count: > 0 } stragglers && first < _oldest)
        {
            ulong upTo = Math.Min(last, _oldest - 1);
            if (upTo - first < (ulong)stragglers.Count)
            {
                for (ulong sequence = first; sequence <= upTo; sequence++) // upTo < _oldest: no overflow
                {
                    Forget(sequence, ref state, forgotten);
                }
            }
            else
            {
                foreach (ulong sequence in stragglers.Keys.Where(s => s >= first && s <= upTo).ToList())
                {
                    Forget(sequence, ref state, forgotten);
                }
            }
        }

        // The ring part: at most the ring's size, since everything kept in it lies between _oldest and _newest.
        for (ulong sequence = Math.Max(first, _oldest); sequence <= last; sequence++) // last <= _newest: no overflow
        {
            Forget(sequence, ref state, forgotten);
        }
    }

    private void Forget<TState>(ulong sequence, ref TState state, ForgottenAction<TState> forgotten) where TState : allows ref struct
    {
        if (Remove(sequence) is { } client)
        {
            forgotten(client, ref state);
        }
    }

    /// <summary>Takes every kept event, oldest first, each in an array of its own, and forgets them all (the link has closed).</summary>
    public List<WorkerLink.Outstanding> TakeAll()
    {
        var all = new List<WorkerLink.Outstanding>(Count);
        if (_stragglers is { } stragglers)
        {
            foreach (ulong sequence in stragglers.Keys.Order())
            {
                all.Add(stragglers[sequence]);
            }

            _stragglers = null;
        }

        for (ulong sequence = _oldest; sequence <= _newest && _slots.Length > 0; sequence++)
        {
            int index = Index(sequence);
            if (_slots[index].Client is { } client)
            {
                all.Add(new WorkerLink.Outstanding(client, Detach(index)));
            }
        }

        _slots = [];
        _storage = [];
        _oldest = _newest + 1;
        Volatile.Write(ref Count, 0);
        Volatile.Write(ref Bytes, 0);
        return all;
    }

    private int Index(ulong sequence) => (int)(sequence & (ulong)(_slots.Length - 1));

    private void Forgot(int length)
    {
        Volatile.Write(ref Count, Count - 1);
        Volatile.Write(ref Bytes, Bytes - length);
    }

    private void SkipAcknowledged()
    {
        while (_oldest <= _newest && _slots[Index(_oldest)].Client is null)
        {
            _oldest++;
        }
    }

    /// <summary>Makes the ring cover <paramref name="sequence"/>: doubles it, or at its largest moves the oldest kept events out.</summary>
    private void MakeRoom(ulong sequence)
    {
        ulong span = sequence - _oldest + 1;
        if (_slots.Length < MaxSlots)
        {
            int size = Math.Max(_slots.Length, InitialSlots);
            while ((ulong)size < span && size < MaxSlots)
            {
                size *= 2;
            }

            Resize(size);
            if (span <= (ulong)size)
            {
                return;
            }
        }

        while (sequence - _oldest >= (ulong)_slots.Length)
        {
            int index = Index(_oldest);
            if (_slots[index].Client is { } client)
            {
                (_stragglers ??= []).Add(_oldest, new WorkerLink.Outstanding(client, Detach(index)));
            }

            _oldest++;
        }

        SkipAcknowledged();
    }

    private void Resize(int size)
    {
        var slots = new Slot[size];
        byte[] storage = GC.AllocateUninitializedArray<byte>(size * InlineSize);
        if (_slots.Length > 0)
        {
            for (ulong sequence = _oldest; sequence <= _newest; sequence++)
            {
                int from = Index(sequence);
                int to = (int)(sequence & (ulong)(size - 1));
                slots[to] = _slots[from];
                if (_slots[from].Client is not null && _slots[from].Buffer is null)
                {
                    _storage.AsSpan(from * InlineSize, _slots[from].Length).CopyTo(storage.AsSpan(to * InlineSize));
                }
            }
        }

        _slots = slots;
        _storage = storage;
    }

    /// <summary>The event in a slot as a <see cref="HeldEvent"/> with an array of its own; the slot is emptied (counts unchanged).</summary>
    private HeldEvent Detach(int index)
    {
        ref Slot slot = ref _slots[index];
        byte[] buffer = slot.Buffer ?? BufferPool.Rent(slot.Length);
        if (slot.Buffer is null)
        {
            _storage.AsSpan(index * InlineSize, slot.Length).CopyTo(buffer);
        }

        var held = new HeldEvent(slot.Kind, buffer, slot.Length, Redelivered: false, Since: 0, slot.Losses);
        slot = default;
        return held;
    }

    public delegate void ForgottenAction<TState>(ClientConnection client, ref TState state) where TState : allows ref struct;

    private struct Slot
    {
        public ClientConnection? Client; // null: empty (acknowledged, or never used)
        public byte[]? Buffer; // null: the frame is in the ring's storage at the slot's index
        public int Length;
        public MessageKind Kind;
        public byte Losses; // workers that went away while this was its client's oldest unfinished event
    }
}
