using System.Buffers;
using System.Buffers.Binary;

namespace SwooleGateway.Gateway.Framing;

/// <summary>
/// Every message is preceded by its length in 1, 2 or 4 bytes, big- or little-endian, counting the header itself
/// or not (GatewayWorker's Frame protocol is 4 bytes, big-endian, header included). The length is checked
/// against the limit from the header, before the body is awaited; a zero-length message is allowed.
/// </summary>
internal sealed class LengthPrefixFramer : IClientFramer
{
    private readonly int _size;
    private readonly bool _bigEndian;
    private readonly bool _includesHeader;

    public LengthPrefixFramer(int size, bool bigEndian, bool includesHeader)
    {
        if (size is not (1 or 2 or 4))
        {
            throw new ArgumentOutOfRangeException(nameof(size), "the length prefix is 1, 2 or 4 bytes");
        }

        _size = size;
        _bigEndian = bigEndian;
        _includesHeader = includesHeader;
    }

    public ReadOnlySpan<byte> Trailer => default;

    public FramerStatus TryRead(ref ReadOnlySequence<byte> buffer, int maxMessageSize, out ReadOnlySequence<byte> message, out string? error)
    {
        message = default;
        error = null;
        if (buffer.Length < _size)
        {
            return FramerStatus.NeedMoreData;
        }

        Span<byte> header = stackalloc byte[4];
        buffer.Slice(0, _size).CopyTo(header);
        long announced = _size switch
        {
            1 => header[0],
            2 => _bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(header) : BinaryPrimitives.ReadUInt16LittleEndian(header),
            _ => _bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(header) : BinaryPrimitives.ReadUInt32LittleEndian(header),
        };
        long length = _includesHeader ? announced - _size : announced;
        if (length < 0)
        {
            error = $"length prefix {announced} is smaller than the {_size}-byte header it includes";
            return FramerStatus.Invalid;
        }

        if (length > maxMessageSize)
        {
            error = $"announced message of {length} bytes exceeds MaxFrameSize {maxMessageSize}";
            return FramerStatus.Invalid;
        }

        if (buffer.Length < _size + length)
        {
            return FramerStatus.NeedMoreData;
        }

        message = buffer.Slice(_size, length);
        buffer = buffer.Slice(message.End);
        return FramerStatus.Message;
    }

    public int WriteHeader(Span<byte> destination, long payloadLength)
    {
        long value = _includesHeader ? payloadLength + _size : payloadLength;
        long max = _size switch { 1 => byte.MaxValue, 2 => ushort.MaxValue, _ => uint.MaxValue };
        if (value > max)
        {
            throw new InvalidOperationException($"a message of {payloadLength} bytes does not fit a {_size}-byte length prefix");
        }

        switch (_size)
        {
            case 1:
                destination[0] = (byte)value;
                break;
            case 2:
                if (_bigEndian)
                {
                    BinaryPrimitives.WriteUInt16BigEndian(destination, (ushort)value);
                }
                else
                {
                    BinaryPrimitives.WriteUInt16LittleEndian(destination, (ushort)value);
                }

                break;
            default:
                if (_bigEndian)
                {
                    BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)value);
                }
                else
                {
                    BinaryPrimitives.WriteUInt32LittleEndian(destination, (uint)value);
                }

                break;
        }

        return _size;
    }
}
