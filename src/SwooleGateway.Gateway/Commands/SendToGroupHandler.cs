using SwooleGateway.Protocol.Commands;

namespace SwooleGateway.Gateway.Commands;

internal sealed class SendToGroupHandler(CommandServices services) : ICommandHandler<SendToGroupCommand, NoResult>
{
    public ValueTask<NoResult> Execute(in SendToGroupCommand command, CommandContext context)
    {
        var fanOut = new FanOut(services.Sender, context.Batch, command.Payload, command.Flags, command.Exclude, several: command.Groups.Count > 1);
        try
        {
            foreach (string group in command.Groups)
            {
                services.Store.ForEachOfGroup(group, ref fanOut, FanOut.Send);
            }
        }
        finally
        {
            fanOut.Dispose();
        }

        return default;
    }
}
