using SwooleGateway.Protocol.Commands;

namespace SwooleGateway.Gateway.Commands;

internal sealed class CloseClientHandler(CommandServices services) : ICommandHandler<CloseClientCommand, NoResult>
{
    public ValueTask<NoResult> Execute(in CloseClientCommand command, CommandContext context)
    {
        if (services.Store.Find(command.ConnectionId) is { } client)
        {
            if (command.LastMessage is { } last)
            {
                services.Sender.Send(client, last, FanOut.IsText(command.Flags, last), context.Batch);
            }

            client.RequestClose(command.Force, "closed by " + context.Link.Connection.PeerId);
        }

        return default;
    }
}
