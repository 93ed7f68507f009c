namespace SwooleGateway.Protocol.Messages;

/// <summary>Worker → gateway: the worker is stopping; route no new events to it, it finishes what it has: <c>[40]</c>.</summary>
internal readonly record struct WorkerDrainingFrame : IFrameMessage<WorkerDrainingFrame>
{
    public static MessageKind Kind => MessageKind.WorkerDraining;

    public static string Schema => "";

    public void Write(ref FieldWriter writer)
    {
    }

    public static WorkerDrainingFrame Read(ref FieldReader reader) => default;
}
