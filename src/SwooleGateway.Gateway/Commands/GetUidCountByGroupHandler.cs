using SwooleGateway.Protocol.Commands;

namespace SwooleGateway.Gateway.Commands;

internal sealed class GetUidCountByGroupHandler(CommandServices services) : ICommandHandler<GetUidCountByGroupCommand, CountResult>
{
    public ValueTask<CountResult> Execute(in GetUidCountByGroupCommand command, CommandContext context) =>
        new(new CountResult((uint)services.Store.UidCountInGroup(command.Group)));
}
