using SwooleGateway.Protocol.Commands;

namespace SwooleGateway.Gateway.Commands;

internal sealed class BindUidHandler(CommandServices services) : ICommandHandler<BindUidCommand, NoResult>
{
    public ValueTask<NoResult> Execute(in BindUidCommand command, CommandContext context)
    {
        if (services.Store.Find(command.ConnectionId) is { } client)
        {
            services.Store.BindUid(client, command.Uid);
            services.Reconsider(client, Routing.RoutingInputs.Uid);
        }

        return default;
    }
}
