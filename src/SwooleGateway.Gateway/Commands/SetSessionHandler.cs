using SwooleGateway.Gateway.Clients;
using SwooleGateway.Protocol;
using SwooleGateway.Protocol.Commands;

namespace SwooleGateway.Gateway.Commands;

internal sealed class SetSessionHandler(CommandServices services) : ICommandHandler<SetSessionCommand, NoResult>
{
    public ValueTask<NoResult> Execute(in SetSessionCommand command, CommandContext context)
    {
        if (services.Store.Find(command.ConnectionId) is { } client)
        {
            if (!SessionState.TryApply(client, command.Session, merge: false, out string? error))
            {
                throw new CommandRefusedException(ReplyStatus.BadArguments, error);
            }

            services.Reconsider(client, Routing.RoutingInputs.Session);
        }

        return default;
    }
}
