namespace SwooleGateway.Protocol.Messages;

/// <summary>
/// Handshake, client → server: <c>[2, version:uint, role:str, nodeId:str, clientNonce:bin(32), proof:bin(32)]</c>;
/// proof = HMAC-SHA256(secret, "SGW-C" ‖ serverNonce ‖ clientNonce ‖ role ‖ 0 ‖ nodeId) (see <see cref="Handshake"/>).
/// </summary>
internal readonly record struct AuthFrame(uint Version, string Role, string NodeId, byte[] Nonce, byte[] Proof) : IFrameMessage<AuthFrame>
{
    public static MessageKind Kind => MessageKind.Auth;

    public static string Schema => "version:uint, role:str, nodeId:str, clientNonce:bin(32), proof:bin(32)";

    public void Write(ref FieldWriter writer)
    {
        writer.UInt(Version);
        writer.String(Role);
        writer.String(NodeId);
        writer.Bytes(Nonce);
        writer.Bytes(Proof);
    }

    public static AuthFrame Read(ref FieldReader reader) =>
        new(reader.UInt(), Handshake.ReadName(ref reader), Handshake.ReadName(ref reader),
            Handshake.ReadFixed(ref reader, Handshake.NonceSize, "nonce"), Handshake.ReadFixed(ref reader, Handshake.ProofSize, "proof"));
}
