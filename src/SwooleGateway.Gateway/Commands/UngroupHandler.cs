using SwooleGateway.Protocol.Commands;

namespace SwooleGateway.Gateway.Commands;

internal sealed class UngroupHandler(CommandServices services) : ICommandHandler<UngroupCommand, NoResult>
{
    public ValueTask<NoResult> Execute(in UngroupCommand command, CommandContext context)
    {
        services.Store.Ungroup(command.Group);
        return default;
    }
}
