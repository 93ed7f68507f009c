namespace SwooleGateway.Protocol.Messages;

/// <summary>Liveness: the answer to Ping: <c>[6]</c>.</summary>
internal readonly record struct PongFrame : IFrameMessage<PongFrame>
{
    public static MessageKind Kind => MessageKind.Pong;

    public static string Schema => "";

    public void Write(ref FieldWriter writer)
    {
    }

    public static PongFrame Read(ref FieldReader reader) => default;
}
