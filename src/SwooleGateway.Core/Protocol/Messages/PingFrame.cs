namespace SwooleGateway.Protocol.Messages;

/// <summary>Liveness, either side, sent every HeartbeatInterval: <c>[5]</c>.</summary>
internal readonly record struct PingFrame : IFrameMessage<PingFrame>
{
    public static MessageKind Kind => MessageKind.Ping;

    public static string Schema => "";

    public void Write(ref FieldWriter writer)
    {
    }

    public static PingFrame Read(ref FieldReader reader) => default;
}
