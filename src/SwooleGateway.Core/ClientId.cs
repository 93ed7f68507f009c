using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace SwooleGateway;

/// <summary>
/// Client ids: opaque to applications, routable by any worker in O(1) without a lookup service.
/// </summary>
/// <remarks>
/// Format: lower-case hex of <c>gateway address bytes (4 for IPv4, 16 for IPv6) ‖ gateway port (2, big-endian) ‖
/// connection number (8, big-endian)</c>, so 28 characters for an IPv4 gateway and 52 for IPv6.
/// The first part (the <em>gateway key</em>, 12 or 36 characters) names the gateway's advertised internal
/// address. A gateway numbers connections from <c>startUnixMilliseconds × 2^16</c> upwards and never reuses a
/// number within its lifetime, so an id held by a worker can never reach a newer connection, even across a
/// gateway restart on the same address.
/// </remarks>
public static class ClientId
{
    public const int IPv4Length = (4 + 2 + 8) * 2;
    public const int IPv6Length = (16 + 2 + 8) * 2;

    /// <summary>The gateway key of an advertised internal address: the prefix of every client id of that gateway.</summary>
    public static string GatewayKey(IPEndPoint gateway)
    {
        Span<byte> bytes = stackalloc byte[18];
        int n = WriteAddress(gateway, bytes);
        return Convert.ToHexStringLower(bytes[..n]);
    }

    public static string Encode(IPEndPoint gateway, ulong connectionId)
    {
        Span<byte> bytes = stackalloc byte[26];
        int n = WriteAddress(gateway, bytes);
        BinaryPrimitives.WriteUInt64BigEndian(bytes[n..], connectionId);
        return Convert.ToHexStringLower(bytes[..(n + 8)]);
    }

    /// <summary>Splits an id into its gateway key and connection number; false when it is not a client id.</summary>
    public static bool TryParse(string? clientId, out ReadOnlySpan<char> gatewayKey, out ulong connectionId)
    {
        gatewayKey = default;
        connectionId = 0;
        if (clientId is null || (clientId.Length != IPv4Length && clientId.Length != IPv6Length))
        {
            return false;
        }

        ReadOnlySpan<char> id = clientId;
        int keyLength = id.Length - 16;
        if (!ulong.TryParse(id[keyLength..], System.Globalization.NumberStyles.AllowHexSpecifier, null, out connectionId))
        {
            return false;
        }

        foreach (char c in id[..keyLength])
        {
            if (!char.IsAsciiHexDigit(c))
            {
                return false;
            }
        }

        gatewayKey = id[..keyLength];
        return true;
    }

    /// <summary>Decodes the gateway's advertised address from a client id.</summary>
    public static bool TryGetGateway(string? clientId, out IPEndPoint? gateway)
    {
        gateway = null;
        if (!TryParse(clientId, out ReadOnlySpan<char> key, out _))
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[18];
        if (Convert.FromHexString(key, bytes[..(key.Length / 2)], out _, out int written) != System.Buffers.OperationStatus.Done)
        {
            return false;
        }

        int addressLength = written - 2;
        gateway = new IPEndPoint(new IPAddress(bytes[..addressLength]), BinaryPrimitives.ReadUInt16BigEndian(bytes[addressLength..]));
        return true;
    }

    private static int WriteAddress(IPEndPoint gateway, Span<byte> destination)
    {
        IPAddress address = gateway.Address;
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (!address.TryWriteBytes(destination, out int written) || (address.AddressFamily != AddressFamily.InterNetwork && address.AddressFamily != AddressFamily.InterNetworkV6))
        {
            throw new ArgumentException($"Unsupported gateway address {gateway}.", nameof(gateway));
        }

        BinaryPrimitives.WriteUInt16BigEndian(destination[written..], (ushort)gateway.Port);
        return written + 2;
    }
}
