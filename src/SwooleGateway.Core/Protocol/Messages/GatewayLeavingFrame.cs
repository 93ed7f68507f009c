namespace SwooleGateway.Protocol.Messages;

/// <summary>Gateway → worker/client: shutting down on purpose; do not report it missing once its link closes: <c>[41]</c>.</summary>
internal readonly record struct GatewayLeavingFrame : IFrameMessage<GatewayLeavingFrame>
{
    public static MessageKind Kind => MessageKind.GatewayLeaving;

    public static string Schema => "";

    public void Write(ref FieldWriter writer)
    {
    }

    public static GatewayLeavingFrame Read(ref FieldReader reader) => default;
}
