using SwooleGateway.Protocol.Commands;

namespace SwooleGateway.Gateway.Commands;

internal sealed class LeaveGroupHandler(CommandServices services) : ICommandHandler<LeaveGroupCommand, NoResult>
{
    public ValueTask<NoResult> Execute(in LeaveGroupCommand command, CommandContext context)
    {
        if (services.Store.Find(command.ConnectionId) is { } client)
        {
            services.Store.LeaveGroup(client, command.Group);
            services.Reconsider(client, Routing.RoutingInputs.Groups);
        }

        return default;
    }
}
