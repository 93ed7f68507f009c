namespace SwooleGateway.Protocol.Messages;

/// <summary>Handshake, server → client: <c>[3, proof:bin(32)]</c>; proof = HMAC-SHA256(secret, "SGW-S" ‖ clientNonce ‖ serverNonce).</summary>
internal readonly record struct WelcomeFrame(byte[] Proof) : IFrameMessage<WelcomeFrame>
{
    public static MessageKind Kind => MessageKind.Welcome;

    public static string Schema => "proof:bin(32)";

    public void Write(ref FieldWriter writer) => writer.Bytes(Proof);

    public static WelcomeFrame Read(ref FieldReader reader) => new(Handshake.ReadFixed(ref reader, Handshake.ProofSize, "proof"));
}
