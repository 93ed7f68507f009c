using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace SwooleGateway.Gateway.Clients;

/// <summary>
/// RFC 6455 frame header parsing (client → server, masked) and writing (server → client, unmasked).
/// </summary>
/// <remarks>
/// <code>
/// byte 0: FIN(1) RSV1-3(3) opcode(4)
/// byte 1: MASK(1) len7(7)     len7 = 126 → 16-bit length follows, 127 → 64-bit length follows (MSB 0)
/// then the 4-byte masking key (client frames always masked), then the payload.
/// </code>
/// </remarks>
internal static class WebSocketFrames
{
    public const byte OpContinuation = 0x0;
    public const byte OpText = 0x1;
    public const byte OpBinary = 0x2;
    public const byte OpClose = 0x8;
    public const byte OpPing = 0x9;
    public const byte OpPong = 0xA;

    public const int MaxServerHeader = 10;

    /// <summary>A parsed client frame header.</summary>
    public readonly record struct Header(bool Fin, byte Opcode, long PayloadLength, uint MaskKey, int HeaderLength);

    /// <summary>
    /// Parses a header. Returns 0 and a header when complete, -1 when more bytes are needed, or a close
    /// status code (1002 protocol error, 1009 too big) when the header is unacceptable.
    /// </summary>
    public static int TryParseHeader(in ReadOnlySequence<byte> buffer, long maxPayload, out Header header)
    {
        header = default;
        Span<byte> head = stackalloc byte[14];
        int available = (int)Math.Min(buffer.Length, 14);
        if (available < 2)
        {
            return -1;
        }

        if (buffer.FirstSpan.Length >= available)
        {
            buffer.FirstSpan[..available].CopyTo(head);
        }
        else
        {
            buffer.Slice(0, available).CopyTo(head);
        }

        byte b0 = head[0];
        byte b1 = head[1];
        bool fin = (b0 & 0x80) != 0;
        byte opcode = (byte)(b0 & 0x0F);
        if ((b0 & 0x70) != 0)
        {
            return 1002; // no extension negotiated, RSV bits must be 0
        }

        if ((b1 & 0x80) == 0)
        {
            return 1002; // client frames must be masked
        }

        bool control = opcode >= 0x8;
        if (opcode is > OpBinary and < OpClose or > OpPong)
        {
            return 1002; // reserved opcode
        }

        int len7 = b1 & 0x7F;
        if (control && (!fin || len7 > 125))
        {
            return 1002; // control frames are not fragmented and carry at most 125 bytes
        }

        int headerLength;
        long length;
        if (len7 < 126)
        {
            headerLength = 6;
            length = len7;
        }
        else if (len7 == 126)
        {
            headerLength = 8;
            if (available < 4)
            {
                return -1;
            }

            length = BinaryPrimitives.ReadUInt16BigEndian(head[2..]);
        }
        else
        {
            headerLength = 14;
            if (available < 10)
            {
                return -1;
            }

            ulong l = BinaryPrimitives.ReadUInt64BigEndian(head[2..]);
            if (l > long.MaxValue)
            {
                return 1002;
            }

            length = (long)l;
        }

        if (length > maxPayload)
        {
            return 1009;
        }

        if (available < headerLength)
        {
            return -1;
        }

        uint mask = BinaryPrimitives.ReadUInt32LittleEndian(head[(headerLength - 4)..]);
        header = new Header(fin, opcode, length, mask, headerLength);
        return 0;
    }

    /// <summary>
    /// Unmasks a payload in place. The bytes belong to the connection's input pipe until it is advanced, so
    /// writing to them is safe and saves a copy.
    /// </summary>
    public static void Unmask(in ReadOnlySequence<byte> payload, uint maskKey)
    {
        int offset = 0;
        foreach (ReadOnlyMemory<byte> segment in payload)
        {
            Span<byte> span = MemoryMarshal.AsMemory(segment).Span;
            UnmaskSpan(span, maskKey, offset);
            offset += span.Length;
        }
    }

    public static void UnmaskSpan(Span<byte> span, uint maskKey, int offset)
    {
        // Rotate the key so that byte i of this span uses mask byte (offset + i) % 4.
        int shift = (offset & 3) * 8;
        uint key = shift == 0 ? maskKey : (maskKey >> shift) | (maskKey << (32 - shift));
        int i = 0;
        if (span.Length >= 8)
        {
            ulong key64 = key | ((ulong)key << 32);
            Span<ulong> words = MemoryMarshal.Cast<byte, ulong>(span);
            for (int w = 0; w < words.Length; w++)
            {
                words[w] ^= key64;
            }

            i = words.Length * 8;
        }

        for (; i < span.Length; i++)
        {
            span[i] ^= (byte)(key >> ((i & 3) * 8));
        }
    }

    /// <summary>Writes a server frame header (FIN set, unmasked) and returns its length.</summary>
    public static int WriteHeader(Span<byte> destination, byte opcode, long payloadLength)
    {
        destination[0] = (byte)(0x80 | opcode);
        if (payloadLength < 126)
        {
            destination[1] = (byte)payloadLength;
            return 2;
        }

        if (payloadLength <= ushort.MaxValue)
        {
            destination[1] = 126;
            BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)payloadLength);
            return 4;
        }

        destination[1] = 127;
        BinaryPrimitives.WriteUInt64BigEndian(destination[2..], (ulong)payloadLength);
        return 10;
    }

    /// <summary>True for a close code a peer may send (RFC 6455 §7.4).</summary>
    public static bool IsValidCloseCode(int code) =>
        code is (>= 1000 and <= 1003) or (>= 1007 and <= 1011) or (>= 3000 and <= 4999);
}
