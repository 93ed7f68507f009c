namespace SwooleGateway.Protocol.Messages;

/// <summary>Gateway → worker: answer to WorkerDraining; every event routed to the worker precedes it: <c>[42]</c>.</summary>
internal readonly record struct DrainAckFrame : IFrameMessage<DrainAckFrame>
{
    public static MessageKind Kind => MessageKind.DrainAck;

    public static string Schema => "";

    public void Write(ref FieldWriter writer)
    {
    }

    public static DrainAckFrame Read(ref FieldReader reader) => default;
}
