using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using MessagePack;

namespace SwooleGateway.Protocol;

/// <summary>
/// The versioned, mutually authenticated handshake that opens every internal link.
/// The shared secret never crosses the wire: each side proves knowledge of it with an HMAC over
/// both sides' random nonces, so a recorded handshake cannot be replayed.
/// </summary>
/// <remarks>
/// Wire format (bodies of frames, see <see cref="FrameCodec"/>):
/// <code>
/// Hello   server→client [1, version:uint, role:str, nodeId:str, serverNonce:bin(32)]
/// Auth    client→server [2, version:uint, role:str, nodeId:str, clientNonce:bin(32), proof:bin(32)]
///         proof = HMAC-SHA256(UTF8(secret), "SGW-C" ‖ serverNonce ‖ clientNonce ‖ UTF8(role) ‖ 0 ‖ UTF8(nodeId))
/// Welcome server→client [3, proof:bin(32)]
///         proof = HMAC-SHA256(UTF8(secret), "SGW-S" ‖ clientNonce ‖ serverNonce)
/// Reject  server→client [4, reason:uint, text:str]   (then the server closes)
/// </code>
/// Until Welcome, nothing but these frames is accepted, frames are capped at <see cref="MaxHandshakeFrame"/>
/// bytes, and the whole exchange must finish within the handshake timeout.
/// </remarks>
internal static class Handshake
{
    public const uint ProtocolVersion = 1;
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

    public static ReadOnlySpan<byte> WriteHello(string role, string nodeId, byte[] serverNonce)
    {
        var scratch = FrameCodec.BeginFrame();
        var w = new MessagePackWriter(scratch);
        w.WriteArrayHeader(5);
        w.Write((uint)MessageKind.Hello);
        w.Write(ProtocolVersion);
        w.Write(role);
        w.Write(nodeId);
        w.Write(serverNonce);
        w.Flush();
        return FrameCodec.EndFrame(scratch);
    }

    public static ReadOnlySpan<byte> WriteAuth(string role, string nodeId, byte[] clientNonce, byte[] proof)
    {
        var scratch = FrameCodec.BeginFrame();
        var w = new MessagePackWriter(scratch);
        w.WriteArrayHeader(6);
        w.Write((uint)MessageKind.Auth);
        w.Write(ProtocolVersion);
        w.Write(role);
        w.Write(nodeId);
        w.Write(clientNonce);
        w.Write(proof);
        w.Flush();
        return FrameCodec.EndFrame(scratch);
    }

    public static ReadOnlySpan<byte> WriteWelcome(byte[] proof)
    {
        var scratch = FrameCodec.BeginFrame();
        var w = new MessagePackWriter(scratch);
        w.WriteArrayHeader(2);
        w.Write((uint)MessageKind.Welcome);
        w.Write(proof);
        w.Flush();
        return FrameCodec.EndFrame(scratch);
    }

    public static ReadOnlySpan<byte> WriteReject(RejectReason reason, string text)
    {
        var scratch = FrameCodec.BeginFrame();
        var w = new MessagePackWriter(scratch);
        w.WriteArrayHeader(3);
        w.Write((uint)MessageKind.Reject);
        w.Write((uint)reason);
        w.Write(text);
        w.Flush();
        return FrameCodec.EndFrame(scratch);
    }

    /// <summary>A parsed handshake frame; fields not used by a kind are default.</summary>
    public readonly record struct Message(MessageKind Kind, uint Version, string Role, string NodeId, byte[] Nonce, byte[] Proof, RejectReason Reason, string Text);

    public static Message Read(ReadOnlySequence<byte> body)
    {
        var r = new MessagePackReader(body);
        MessageKind kind = FrameCodec.ReadKind(ref r, out int fields);
        switch (kind)
        {
            case MessageKind.Hello:
            {
                Require(fields, 4, kind);
                uint version = r.ReadUInt32();
                string role = ReadName(ref r);
                string node = ReadName(ref r);
                byte[] nonce = ReadFixed(ref r, NonceSize, "nonce");
                return new Message(kind, version, role, node, nonce, [], default, "");
            }
            case MessageKind.Auth:
            {
                Require(fields, 5, kind);
                uint version = r.ReadUInt32();
                string role = ReadName(ref r);
                string node = ReadName(ref r);
                byte[] nonce = ReadFixed(ref r, NonceSize, "nonce");
                byte[] proof = ReadFixed(ref r, ProofSize, "proof");
                return new Message(kind, version, role, node, nonce, proof, default, "");
            }
            case MessageKind.Welcome:
            {
                Require(fields, 1, kind);
                byte[] proof = ReadFixed(ref r, ProofSize, "proof");
                return new Message(kind, ProtocolVersion, "", "", [], proof, default, "");
            }
            case MessageKind.Reject:
            {
                Require(fields, 2, kind);
                var reason = (RejectReason)r.ReadUInt32();
                string text = r.ReadString() ?? "";
                return new Message(kind, ProtocolVersion, "", "", [], [], reason, text);
            }
            default:
                ThrowHelper.Protocol($"expected a handshake frame, got kind {(uint)kind}");
                return default;
        }
    }

    private static void Require(int fields, int needed, MessageKind kind)
    {
        if (fields < needed)
        {
            ThrowHelper.Protocol($"{kind} frame has {fields} fields, needs {needed}");
        }
    }

    private static string ReadName(ref MessagePackReader r)
    {
        string? s = r.ReadString();
        if (s is null || s.Length > MaxNameLength)
        {
            ThrowHelper.Protocol("handshake name missing or too long");
        }

        return s;
    }

    private static byte[] ReadFixed(ref MessagePackReader r, int size, string what)
    {
        ReadOnlySequence<byte>? bytes = r.ReadBytes();
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
