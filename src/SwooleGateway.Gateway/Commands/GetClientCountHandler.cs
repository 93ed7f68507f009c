using SwooleGateway.Protocol.Commands;

namespace SwooleGateway.Gateway.Commands;

internal sealed class GetClientCountHandler(CommandServices services) : ICommandHandler<GetClientCountCommand, CountResult>
{
    public ValueTask<CountResult> Execute(in GetClientCountCommand command, CommandContext context) => new(new CountResult((uint)services.Store.Count));
}
