using SwooleGateway.Protocol.Commands;

namespace SwooleGateway.Gateway.Commands;

internal sealed class IsOnlineHandler(CommandServices services) : ICommandHandler<IsOnlineCommand, BoolResult>
{
    public ValueTask<BoolResult> Execute(in IsOnlineCommand command, CommandContext context) =>
        new(new BoolResult(services.Store.Find(command.ConnectionId) is { IsClosing: false }));
}
