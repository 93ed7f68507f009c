using SwooleGateway.Gateway.Clients;
using SwooleGateway.Gateway.Commands;
using SwooleGateway.Protocol;
using SwooleGateway.Protocol.Messages;

namespace SwooleGateway.Gateway.Routing;

/// <summary>
/// The read loop's view of one worker link: commands go to the <see cref="CommandExecutor"/>, acknowledgements and
/// control frames to the <see cref="EventRouter"/>. Owns the link's <see cref="SendBatch"/>: the client messages the commands of one read
/// leave unflushed go out at the end of that read.
/// </summary>
internal sealed class WorkerLinkReader(WorkerLink link, CommandExecutor commands, EventRouter router) : IFrameHandler
{
    private readonly SendBatch _batch = new();

    public void OnFrame(InternalConnection connection, ref FieldReader frame)
    {
        switch (frame.Kind)
        {
            case MessageKind.Command:
                commands.Execute(link, _batch, ref frame);
                return;
            case MessageKind.EventAck:
                router.Acknowledge(link, Frame.Read<EventAckFrame>(ref frame).Ranges);
                return;
            case MessageKind.WorkerDraining:
                Frame.Read<WorkerDrainingFrame>(ref frame);
                router.WorkerDraining(link);
                return;
            default:
                ThrowHelper.Protocol($"unexpected {frame.Kind} from a {connection.PeerRole}");
                return;
        }
    }

    public void OnBatchEnd(InternalConnection connection) => _batch.Flush();
}
