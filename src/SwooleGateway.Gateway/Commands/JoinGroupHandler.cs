using SwooleGateway.Protocol.Commands;

namespace SwooleGateway.Gateway.Commands;

internal sealed class JoinGroupHandler(CommandServices services) : ICommandHandler<JoinGroupCommand, NoResult>
{
    public ValueTask<NoResult> Execute(in JoinGroupCommand command, CommandContext context)
    {
        if (services.Store.Find(command.ConnectionId) is { } client)
        {
            services.Store.JoinGroup(client, command.Group);
            services.Reconsider(client, Routing.RoutingInputs.Groups);
        }

        return default;
    }
}
