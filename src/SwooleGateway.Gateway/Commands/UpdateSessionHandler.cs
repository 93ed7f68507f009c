using SwooleGateway.Gateway.Clients;
using SwooleGateway.Protocol;
using SwooleGateway.Protocol.Commands;

namespace SwooleGateway.Gateway.Commands;

internal sealed class UpdateSessionHandler(CommandServices services) : ICommandHandler<UpdateSessionCommand, NoResult>
{
    public ValueTask<NoResult> Execute(in UpdateSessionCommand command, CommandContext context)
    {
        if (services.Store.Find(command.ConnectionId) is { } client)
        {
            if (!SessionState.TryApply(client, command.Session, merge: true, out string? error))
            {
                throw new CommandRefusedException(ReplyStatus.BadArguments, error);
            }

            services.Reconsider(client, Routing.RoutingInputs.Session);
        }

        return default;
    }
}
