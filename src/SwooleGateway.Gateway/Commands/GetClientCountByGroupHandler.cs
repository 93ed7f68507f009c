using SwooleGateway.Protocol.Commands;

namespace SwooleGateway.Gateway.Commands;

internal sealed class GetClientCountByGroupHandler(CommandServices services) : ICommandHandler<GetClientCountByGroupCommand, CountResult>
{
    public ValueTask<CountResult> Execute(in GetClientCountByGroupCommand command, CommandContext context) =>
        new(new CountResult((uint)services.Store.GroupCount(command.Group)));
}
