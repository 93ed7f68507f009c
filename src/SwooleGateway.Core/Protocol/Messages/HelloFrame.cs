namespace SwooleGateway.Protocol.Messages;

/// <summary>Handshake, server → client: <c>[1, version:uint, role:str, nodeId:str, serverNonce:bin(32)]</c>.</summary>
internal readonly record struct HelloFrame(uint Version, string Role, string NodeId, byte[] Nonce) : IFrameMessage<HelloFrame>
{
    public static MessageKind Kind => MessageKind.Hello;

    public static string Schema => "version:uint, role:str, nodeId:str, serverNonce:bin(32)";

    public void Write(ref FieldWriter writer)
    {
        writer.UInt(Version);
        writer.String(Role);
        writer.String(NodeId);
        writer.Bytes(Nonce);
    }

    public static HelloFrame Read(ref FieldReader reader) =>
        new(reader.UInt(), Handshake.ReadName(ref reader), Handshake.ReadName(ref reader), Handshake.ReadFixed(ref reader, Handshake.NonceSize, "nonce"));
}
