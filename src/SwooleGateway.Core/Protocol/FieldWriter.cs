using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using MessagePack;

namespace SwooleGateway.Protocol;

/// <summary>
/// Writes the items of one frame body (a MessagePack array) and counts them, so that no writer ever states how many
/// fields it writes: <see cref="Frame"/> puts the count it saw into the array header. Every method writes
/// exactly one top-level item; <see cref="Nested"/> gives the raw writer for one item with inner structure.
/// </summary>
internal ref struct FieldWriter
{
    private MessagePackWriter _writer;

    internal FieldWriter(IBufferWriter<byte> output)
    {
        _writer = new MessagePackWriter(output);
        Count = 0;
    }

    /// <summary>Top-level items written so far.</summary>
    internal int Count { get; private set; }

    public void UInt(uint value)
    {
        _writer.Write(value);
        Count++;
    }

    public void ULong(ulong value)
    {
        _writer.Write(value);
        Count++;
    }

    public void Bool(bool value)
    {
        _writer.Write(value);
        Count++;
    }

    /// <summary>A string, or nil for null.</summary>
    public void String(string? value)
    {
        _writer.Write(value);
        Count++;
    }

    public void Bytes(ReadOnlySpan<byte> value)
    {
        _writer.Write(value);
        Count++;
    }

    public void Bytes(in ReadOnlySequence<byte> value)
    {
        _writer.Write(value);
        Count++;
    }

    /// <summary>Bytes, or nil for null.</summary>
    public void BytesOrNil(in ReadOnlySequence<byte>? value)
    {
        if (value is { } bytes)
        {
            _writer.Write(bytes);
        }
        else
        {
            _writer.WriteNil();
        }

        Count++;
    }

    /// <summary>Bytes, or nil for null.</summary>
    public void BytesOrNil(byte[]? value)
    {
        if (value is null)
        {
            _writer.WriteNil();
        }
        else
        {
            _writer.Write(value);
        }

        Count++;
    }

    public void Nil()
    {
        _writer.WriteNil();
        Count++;
    }

    /// <summary>A map of strings, or nil when <paramref name="map"/> is null or empty.</summary>
    public void StringMap(IReadOnlyDictionary<string, string>? map)
    {
        if (map is null || map.Count == 0)
        {
            _writer.WriteNil();
        }
        else
        {
            _writer.WriteMapHeader(map.Count);
            foreach (KeyValuePair<string, string> entry in map)
            {
                _writer.Write(entry.Key);
                _writer.Write(entry.Value);
            }
        }

        Count++;
    }

    public void Strings(in StringList items)
    {
        items.WriteTo(ref _writer);
        Count++;
    }

    public void ULongs(in ULongList items)
    {
        items.WriteTo(ref _writer);
        Count++;
    }

    /// <summary>One item that is already MessagePack (for example a list read from another frame).</summary>
    public void Raw(in ReadOnlySequence<byte> item)
    {
        _writer.WriteRaw(item);
        Count++;
    }

    /// <summary>The raw writer, for one item with inner structure (an array of arrays, a map of mixed values).</summary>
    [UnscopedRef]
    public ref MessagePackWriter Nested()
    {
        Count++;
        return ref _writer;
    }

    internal void Flush() => _writer.Flush();
}
