using System.Buffers.Binary;
using System.Text;

namespace TelemetrySample;

/// <summary>
/// The devices' protocol, on a TCP listener with a 2-byte big-endian length before each frame (the gateway's
/// LengthPrefixed framing cuts the stream; these are the frames' bodies):
/// <code>
/// device → server  0x01 HELLO    [0x01][idLength:u8][id: UTF-8, 1-64 bytes]            the device's id, first
///                  0x02 READING  [0x02][seq:u32][temperature:i16 centi-°C][humidity:u16 centi-%][battery:u8 %]
/// server → device  0x81 WELCOME  [0x81][status:u8]   0 = ok, 1 = bad hello
/// </code>
/// All integers big-endian. A reading before a hello, or a frame of another type or length, is answered by closing.
/// </summary>
public static class DeviceProtocol
{
    public const byte Hello = 0x01;
    public const byte Reading = 0x02;
    public const byte Welcome = 0x81;
    public const int ReadingLength = 1 + 4 + 2 + 2 + 1;

    public static byte[] HelloFrame(string deviceId)
    {
        byte[] id = Encoding.UTF8.GetBytes(deviceId);
        return [Hello, (byte)id.Length, .. id];
    }

    public static bool TryReadHello(ReadOnlySpan<byte> body, out string deviceId)
    {
        deviceId = "";
        if (body.Length < 3 || body[0] != Hello || body[1] != body.Length - 2 || body[1] > 64)
        {
            return false;
        }

        deviceId = Encoding.UTF8.GetString(body[2..]);
        return true;
    }

    public static byte[] ReadingFrame(uint seq, double temperature, double humidity, int battery)
    {
        byte[] body = new byte[ReadingLength];
        body[0] = Reading;
        BinaryPrimitives.WriteUInt32BigEndian(body.AsSpan(1), seq);
        BinaryPrimitives.WriteInt16BigEndian(body.AsSpan(5), (short)Math.Round(temperature * 100));
        BinaryPrimitives.WriteUInt16BigEndian(body.AsSpan(7), (ushort)Math.Round(Math.Clamp(humidity, 0, 100) * 100));
        body[9] = (byte)Math.Clamp(battery, 0, 100);
        return body;
    }

    public static bool TryReadReading(ReadOnlySpan<byte> body, out uint seq, out double temperature, out double humidity, out int battery)
    {
        seq = 0;
        temperature = humidity = 0;
        battery = 0;
        if (body.Length != ReadingLength || body[0] != Reading)
        {
            return false;
        }

        seq = BinaryPrimitives.ReadUInt32BigEndian(body[1..]);
        temperature = BinaryPrimitives.ReadInt16BigEndian(body[5..]) / 100.0;
        humidity = BinaryPrimitives.ReadUInt16BigEndian(body[7..]) / 100.0;
        battery = body[9];
        return true;
    }
}
