using SwooleGateway.Protocol.Commands;

namespace SwooleGateway.Gateway.Commands;

internal sealed class GetUidCountHandler(CommandServices services) : ICommandHandler<GetUidCountCommand, CountResult>
{
    public ValueTask<CountResult> Execute(in GetUidCountCommand command, CommandContext context) => new(new CountResult((uint)services.Store.UidCount));
}
