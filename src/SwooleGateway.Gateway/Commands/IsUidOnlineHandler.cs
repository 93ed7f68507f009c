using SwooleGateway.Protocol.Commands;

namespace SwooleGateway.Gateway.Commands;

internal sealed class IsUidOnlineHandler(CommandServices services) : ICommandHandler<IsUidOnlineCommand, BoolResult>
{
    public ValueTask<BoolResult> Execute(in IsUidOnlineCommand command, CommandContext context) => new(new BoolResult(services.Store.IsUidOnline(command.Uid)));
}
