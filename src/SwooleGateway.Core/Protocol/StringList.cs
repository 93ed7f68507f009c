using System.Buffers;
using MessagePack;

namespace SwooleGateway.Protocol;

/// <summary>
/// A list of strings in a frame (<c>[str]</c>): either strings to write, or the array as it sits in a frame that was read,
/// decoded one string at a time as it is enumerated (valid while the frame is).
/// </summary>
internal readonly struct StringList
{
    private readonly string[]? _values;
    private readonly ReadOnlySequence<byte> _raw;

    public StringList(string[] values)
    {
        _values = values;
        Count = values.Length;
    }

    private StringList(ReadOnlySequence<byte> raw, int count)
    {
        _raw = raw;
        Count = count;
    }

    public int Count { get; }

    internal static StringList Read(ref MessagePackReader reader)
    {
        MessagePackReader peek = reader.CreatePeekReader();
        int count = peek.ReadArrayHeader();
        return new StringList(reader.ReadRaw(), count);
    }

    internal void WriteTo(ref MessagePackWriter writer)
    {
        if (_values is not null)
        {
            writer.WriteArrayHeader(_values.Length);
            foreach (string value in _values)
            {
                writer.Write(value);
            }
        }
        else if (_raw.IsEmpty)
        {
            writer.WriteArrayHeader(0);
        }
        else
        {
            writer.WriteRaw(_raw);
        }
    }

    /// <summary>The strings as an array (decodes them when read from a frame; an empty string stands for nil).</summary>
    public string[] ToArray()
    {
        if (_values is not null)
        {
            return _values;
        }

        var items = new string[Count];
        int i = 0;
        foreach (string item in this)
        {
            items[i++] = item;
        }

        return items;
    }

    public Enumerator GetEnumerator() => new(this);

    public ref struct Enumerator
    {
        private readonly string[]? _values;
        private MessagePackReader _reader;
        private int _index;
        private readonly int _count;

        internal Enumerator(StringList list)
        {
            _values = list._values;
            _count = list.Count;
            _index = -1;
            Current = "";
            if (_values is null && !list._raw.IsEmpty)
            {
                _reader = new MessagePackReader(list._raw);
                _reader.ReadArrayHeader();
            }
        }

        public string Current { get; private set; }

        public bool MoveNext()
        {
            if (++_index >= _count)
            {
                return false;
            }

            Current = _values is not null ? _values[_index] : _reader.ReadString() ?? "";
            return true;
        }
    }
}
