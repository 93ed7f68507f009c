namespace SwooleGateway.Protocol.Messages;

/// <summary>
/// Handshake, client → server: <c>[2, version:uint, role:str, nodeId:str, clientNonce:bin(32), proof:bin(32), tags?:[str]]</c>;
/// proof = HMAC-SHA256(secret, "SGW-C" ‖ serverNonce ‖ clientNonce ‖ role ‖ 0 ‖ nodeId) (see <see cref="Handshake"/>).
/// <c>tags</c> (a worker's <c>SwooleGateway:Worker:Tags</c>, for routing) came later: a sender may leave it out, and a
/// reader that finds none reads an empty list. At most <see cref="MaxTags"/> names of at most
/// <see cref="Handshake.MaxNameLength"/> characters.
/// </summary>
internal readonly record struct AuthFrame(uint Version, string Role, string NodeId, byte[] Nonce, byte[] Proof, string[] Tags) : IFrameMessage<AuthFrame>
{
    public const int MaxTags = 64;

    public AuthFrame(uint version, string role, string nodeId, byte[] nonce, byte[] proof)
        : this(version, role, nodeId, nonce, proof, [])
    {
    }

    public static MessageKind Kind => MessageKind.Auth;

    public static string Schema => "version:uint, role:str, nodeId:str, clientNonce:bin(32), proof:bin(32), tags?:[str]";

    public void Write(ref FieldWriter writer)
    {
        writer.UInt(Version);
        writer.String(Role);
        writer.String(NodeId);
        writer.Bytes(Nonce);
        writer.Bytes(Proof);
        writer.Strings(new StringList(Tags));
    }

    public static AuthFrame Read(ref FieldReader reader) =>
        new(reader.UInt(), Handshake.ReadName(ref reader), Handshake.ReadName(ref reader),
            Handshake.ReadFixed(ref reader, Handshake.NonceSize, "nonce"), Handshake.ReadFixed(ref reader, Handshake.ProofSize, "proof"),
            reader.Remaining > 0 ? ReadTags(ref reader, "Auth") : []);

    /// <summary>A node's tags, as Auth and StatusReport carry them: at most <see cref="MaxTags"/>, each 1 to <see cref="Handshake.MaxNameLength"/> characters.</summary>
    internal static string[] ReadTags(ref FieldReader reader, string frame)
    {
        StringList list = reader.Strings();
        if (list.Count > MaxTags)
        {
            ThrowHelper.Protocol($"{frame} has {list.Count} tags, more than {MaxTags}");
        }

        string[] tags = list.ToArray();
        foreach (string tag in tags)
        {
            if (tag.Length == 0 || tag.Length > Handshake.MaxNameLength)
            {
                ThrowHelper.Protocol($"{frame} has an empty or oversized tag");
            }
        }

        return tags;
    }
}
