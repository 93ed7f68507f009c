using System.Buffers;
using MessagePack;

namespace SwooleGateway.Protocol;

/// <summary>
/// A list of unsigned integers in a frame (<c>[u64]</c>): either values to write, or the array as it sits in a frame that
/// was read, enumerated in place without copying (valid while the frame is).
/// </summary>
internal readonly struct ULongList
{
    private readonly ReadOnlyMemory<ulong> _values;
    private readonly ReadOnlySequence<byte> _raw;

    public ULongList(ReadOnlyMemory<ulong> values)
    {
        _values = values;
        Count = values.Length;
    }

    private ULongList(ReadOnlySequence<byte> raw, int count)
    {
        _raw = raw;
        Count = count;
    }

    public int Count { get; }

    /// <summary>Takes the next item of <paramref name="reader"/>, which must be an array, without reading its elements yet.</summary>
    internal static ULongList Read(ref MessagePackReader reader)
    {
        MessagePackReader peek = reader.CreatePeekReader();
        int count = peek.ReadArrayHeader();
        return new ULongList(reader.ReadRaw(), count);
    }

    internal void WriteTo(ref MessagePackWriter writer)
    {
        if (_raw.IsEmpty)
        {
            writer.WriteArrayHeader(_values.Length);
            foreach (ulong value in _values.Span)
            {
                writer.Write(value);
            }
        }
        else
        {
            writer.WriteRaw(_raw);
        }
    }

    public Enumerator GetEnumerator() => new(this);

    public ref struct Enumerator
    {
        private readonly ReadOnlySpan<ulong> _values;
        private MessagePackReader _reader;
        private readonly bool _fromRaw;
        private int _index;
        private readonly int _count;

        internal Enumerator(ULongList list)
        {
            _values = list._values.Span;
            _fromRaw = !list._raw.IsEmpty;
            _count = list.Count;
            _index = -1;
            Current = 0;
            if (_fromRaw)
            {
                _reader = new MessagePackReader(list._raw);
                _reader.ReadArrayHeader();
            }
        }

        public ulong Current { get; private set; }

        public bool MoveNext()
        {
            if (++_index >= _count)
            {
                return false;
            }

            Current = _fromRaw ? _reader.ReadUInt64() : _values[_index];
            return true;
        }
    }
}
