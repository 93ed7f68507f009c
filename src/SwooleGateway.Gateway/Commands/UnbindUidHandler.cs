using SwooleGateway.Protocol.Commands;

namespace SwooleGateway.Gateway.Commands;

internal sealed class UnbindUidHandler(CommandServices services) : ICommandHandler<UnbindUidCommand, NoResult>
{
    public ValueTask<NoResult> Execute(in UnbindUidCommand command, CommandContext context)
    {
        if (services.Store.Find(command.ConnectionId) is { } client)
        {
            services.Store.UnbindUid(client);
        }

        return default;
    }
}
