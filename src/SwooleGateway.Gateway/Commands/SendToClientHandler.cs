using SwooleGateway.Protocol.Commands;

namespace SwooleGateway.Gateway.Commands;

internal sealed class SendToClientHandler(CommandServices services) : ICommandHandler<SendToClientCommand, NoResult>
{
    public ValueTask<NoResult> Execute(in SendToClientCommand command, CommandContext context)
    {
        if (services.Store.Find(command.ConnectionId) is { } client)
        {
            services.Sender.Send(client, command.Payload, FanOut.IsText(command.Flags, command.Payload), context.Batch);
        }

        return default;
    }
}
