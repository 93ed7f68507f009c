using SwooleGateway.Protocol.Commands;

namespace SwooleGateway.Gateway.Commands;

internal sealed class SendToClientsHandler(CommandServices services) : ICommandHandler<SendToClientsCommand, NoResult>
{
    public ValueTask<NoResult> Execute(in SendToClientsCommand command, CommandContext context)
    {
        bool text = FanOut.IsText(command.Flags, command.Payload);
        foreach (ulong id in command.ConnectionIds)
        {
            if (services.Store.Find(id) is { } client)
            {
                services.Sender.Send(client, command.Payload, text, context.Batch);
            }
        }

        return default;
    }
}
