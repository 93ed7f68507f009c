using SwooleGateway.Protocol.Commands;

namespace SwooleGateway.Gateway.Commands;

internal sealed class SendToUidHandler(CommandServices services) : ICommandHandler<SendToUidCommand, NoResult>
{
    public ValueTask<NoResult> Execute(in SendToUidCommand command, CommandContext context)
    {
        var fanOut = new FanOut(services.Sender, context.Batch, command.Payload, command.Flags, command.Exclude, several: command.Uids.Count > 1);
        try
        {
            foreach (string uid in command.Uids)
            {
                services.Store.ForEachOfUid(uid, ref fanOut, FanOut.Send);
            }
        }
        finally
        {
            fanOut.Dispose();
        }

        return default;
    }
}
