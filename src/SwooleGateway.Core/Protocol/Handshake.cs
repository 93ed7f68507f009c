using System.Buffers;
using System.Security.Cryptography;
using System.Text;

namespace SwooleGateway.Protocol;

/// <summary>
/// The versioned, mutually authenticated handshake that opens every internal link (frames: <see cref="Messages.HelloFrame"/>,
/// <see cref="Messages.AuthFrame"/>, <see cref="Messages.WelcomeFrame"/>, <see cref="Messages.RejectFrame"/>).
/// The shared secret never crosses the wire: each side proves knowledge of it with an HMAC over both sides' random
/// nonces, so a recorded handshake cannot be replayed.
/// </summary>
/// <remarks>
/// <code>
/// client proof = HMAC-SHA256(UTF8(secret), "SGW-C" ‖ serverNonce ‖ clientNonce ‖ UTF8(role) ‖ 0 ‖ UTF8(nodeId))
/// server proof = HMAC-SHA256(UTF8(secret), "SGW-S" ‖ clientNonce ‖ serverNonce)
/// </code>
/// Until Welcome, nothing but these frames is accepted, frames are capped at <see cref="MaxHandshakeFrame"/>
/// bytes, and the whole exchange must finish within the handshake timeout.
/// </remarks>
internal static class Handshake
{
    /// <summary>
    /// 2: client events carry a per-link sequence number and flags, and workers acknowledge them (EventAck). Peers must
    /// speak the same version; a mismatch is refused at the handshake with a message that says which.
    /// </summary>
    public const uint ProtocolVersion = 2;
    public const int NonceSize = 32;
    public const int ProofSize = 32;
    public const int MaxHandshakeFrame = 1024;
    public const int MaxNameLength = 256;

    private static ReadOnlySpan<byte> ClientLabel => "SGW-C"u8;
    private static ReadOnlySpan<byte> ServerLabel => "SGW-S"u8;

    public static byte[] NewNonce() => RandomNumberGenerator.GetBytes(NonceSize);

    public static byte[] ClientProof(string secret, ReadOnlySpan<byte> serverNonce, ReadOnlySpan<byte> clientNonce, string role, string nodeId)
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        buffer.Write(ClientLabel);
        buffer.Write(serverNonce);
        buffer.Write(clientNonce);
        buffer.Write(Encoding.UTF8.GetBytes(role));
        buffer.Write([(byte)0]);
        buffer.Write(Encoding.UTF8.GetBytes(nodeId));
        return HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), buffer.WrittenSpan);
    }

    public static byte[] ServerProof(string secret, ReadOnlySpan<byte> clientNonce, ReadOnlySpan<byte> serverNonce)
    {
        var buffer = new ArrayBufferWriter<byte>(96);
        buffer.Write(ServerLabel);
        buffer.Write(clientNonce);
        buffer.Write(serverNonce);
        return HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), buffer.WrittenSpan);
    }

    public static bool ProofMatches(ReadOnlySpan<byte> expected, ReadOnlySpan<byte> actual) =>
        actual.Length == expected.Length && CryptographicOperations.FixedTimeEquals(expected, actual);

    /// <summary>A role or node id: present and at most <see cref="MaxNameLength"/> characters.</summary>
    internal static string ReadName(ref FieldReader reader)
    {
        string? s = reader.String();
        if (s is null || s.Length > MaxNameLength)
        {
            ThrowHelper.Protocol("handshake name missing or too long");
        }

        return s;
    }

    /// <summary>A nonce or proof of exactly <paramref name="size"/> bytes.</summary>
    internal static byte[] ReadFixed(ref FieldReader reader, int size, string what)
    {
        ReadOnlySequence<byte>? bytes = reader.BytesOrNil();
        if (bytes is null || bytes.Value.Length != size)
        {
            ThrowHelper.Protocol($"handshake {what} must be {size} bytes");
        }

        return bytes.Value.ToArray();
    }
}

/// <summary>Why a server refused a handshake. Values are wire format.</summary>
internal enum RejectReason : uint
{
    BadSecret = 1,
    UnsupportedVersion = 2,
    RoleNotAccepted = 3,
}
