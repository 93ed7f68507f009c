using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using MessagePack;

namespace SwooleGateway.Protocol;

/// <summary>
/// Reads the items of one frame body in order, knowing how many the sender wrote: a reader that needs a field the
/// frame does not have fails with <see cref="ProtocolErrorException"/>, and <see cref="SkipRest"/> steps over the
/// fields a newer sender appended, so a newer peer can talk to an older one. Bytes and lists point into the frame
/// and are valid only while it is.
/// </summary>
internal ref struct FieldReader
{
    private MessagePackReader _reader;

    internal FieldReader(MessagePackReader reader, int count, MessageKind kind)
    {
        _reader = reader;
        Remaining = count;
        Kind = kind;
    }

    /// <summary>The kind of the frame being read (for error messages).</summary>
    public MessageKind Kind { get; }

    /// <summary>Fields not read yet.</summary>
    public int Remaining { get; private set; }

    public uint UInt()
    {
        Take();
        return _reader.ReadUInt32();
    }

    public ulong ULong()
    {
        Take();
        return _reader.ReadUInt64();
    }

    public bool Bool()
    {
        Take();
        return _reader.ReadBoolean();
    }

    /// <summary>A string or nil (null).</summary>
    public string? String()
    {
        Take();
        return _reader.ReadString();
    }

    /// <summary>A string that must be present and not empty (a uid, a group, a name); <paramref name="what"/> names it in the error.</summary>
    public string Key(string what)
    {
        Take();
        string? key = _reader.ReadString();
        if (string.IsNullOrEmpty(key))
        {
            ThrowHelper.Protocol($"empty {what}");
        }

        return key;
    }

    /// <summary>Bytes (nil reads as empty).</summary>
    public ReadOnlySequence<byte> Bytes()
    {
        Take();
        return _reader.ReadBytes() ?? ReadOnlySequence<byte>.Empty;
    }

    /// <summary>Bytes, or null for nil.</summary>
    public ReadOnlySequence<byte>? BytesOrNil()
    {
        Take();
        return _reader.TryReadNil() ? null : _reader.ReadBytes() ?? ReadOnlySequence<byte>.Empty;
    }

    /// <summary>A map of strings; nil reads as an empty map.</summary>
    public Dictionary<string, string> StringMap(StringComparer comparer)
    {
        Take();
        var map = new Dictionary<string, string>(comparer);
        if (_reader.TryReadNil())
        {
            return map;
        }

        int count = _reader.ReadMapHeader();
        for (int i = 0; i < count; i++)
        {
            string name = _reader.ReadString() ?? "";
            map[name] = _reader.ReadString() ?? "";
        }

        return map;
    }

    public StringList Strings()
    {
        Take();
        return StringList.Read(ref _reader);
    }

    public ULongList ULongs()
    {
        Take();
        return ULongList.Read(ref _reader);
    }

    /// <summary>The next item as raw MessagePack (to pass on or to decode later).</summary>
    public ReadOnlySequence<byte> Raw()
    {
        Take();
        return _reader.ReadRaw();
    }

    /// <summary>The raw reader, for one item with inner structure.</summary>
    [UnscopedRef]
    public ref MessagePackReader Nested()
    {
        Take();
        return ref _reader;
    }

    /// <summary>Steps over the fields this reader did not read (a newer peer's additions).</summary>
    public void SkipRest()
    {
        while (Remaining > 0)
        {
            Remaining--;
            _reader.Skip();
        }
    }

    private void Take()
    {
        if (Remaining <= 0)
        {
            ThrowHelper.Protocol($"{Kind} frame has fewer fields than this node requires");
        }

        Remaining--;
    }
}
