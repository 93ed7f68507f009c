namespace SwooleGateway.Protocol.Messages;

/// <summary>
/// Register link, gateway → register, after every (re)connect: <c>[16, address:str, gatewayId:str]</c>. The address is
/// the gateway's advertised internal address, host:port or [ipv6]:port; the register forgets it when the link dies.
/// </summary>
internal readonly record struct AnnounceFrame(string Address, string GatewayId) : IFrameMessage<AnnounceFrame>
{
    public const int MaxAddressLength = 300;

    public static MessageKind Kind => MessageKind.Announce;

    public static string Schema => "address:str, gatewayId:str";

    public void Write(ref FieldWriter writer)
    {
        writer.String(Address);
        writer.String(GatewayId);
    }

    public static AnnounceFrame Read(ref FieldReader reader)
    {
        string? address = reader.String();
        string? id = reader.String();
        if (string.IsNullOrEmpty(address) || string.IsNullOrEmpty(id) || address.Length > MaxAddressLength || id.Length > Handshake.MaxNameLength)
        {
            ThrowHelper.Protocol("Announce has an empty or oversized address or id");
        }

        return new AnnounceFrame(address, id);
    }
}
