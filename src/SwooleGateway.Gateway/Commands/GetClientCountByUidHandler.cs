using SwooleGateway.Gateway.Clients;
using SwooleGateway.Protocol.Commands;

namespace SwooleGateway.Gateway.Commands;

internal sealed class GetClientCountByUidHandler(CommandServices services) : ICommandHandler<GetClientCountByUidCommand, CountResult>
{
    public ValueTask<CountResult> Execute(in GetClientCountByUidCommand command, CommandContext context)
    {
        uint count = 0;
        services.Store.ForEachOfUid(command.Uid, ref count, static (ClientConnection _, ref uint n) => n++);
        return new(new CountResult(count));
    }
}
