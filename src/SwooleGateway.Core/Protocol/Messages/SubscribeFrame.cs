namespace SwooleGateway.Protocol.Messages;

/// <summary>Register link, worker/client → register: send me the gateway list now and after every change: <c>[17]</c>.</summary>
internal readonly record struct SubscribeFrame : IFrameMessage<SubscribeFrame>
{
    public static MessageKind Kind => MessageKind.Subscribe;

    public static string Schema => "";

    public void Write(ref FieldWriter writer)
    {
    }

    public static SubscribeFrame Read(ref FieldReader reader) => default;
}
