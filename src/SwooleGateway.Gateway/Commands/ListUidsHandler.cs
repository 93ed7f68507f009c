using SwooleGateway.Protocol.Commands;

namespace SwooleGateway.Gateway.Commands;

internal sealed class ListUidsHandler(CommandServices services) : ICommandHandler<ListUidsCommand, NamePage>
{
    public ValueTask<NamePage> Execute(in ListUidsCommand command, CommandContext context)
    {
        (List<string> page, bool more) = services.Store.ListUids(command.Group, command.After, PageLimit.Of(command.Limit));
        return new(new NamePage([.. page], more));
    }
}
