using SwooleGateway.Protocol.Commands;

namespace SwooleGateway.Gateway.Commands;

internal sealed class ListGroupsHandler(CommandServices services) : ICommandHandler<ListGroupsCommand, NamePage>
{
    public ValueTask<NamePage> Execute(in ListGroupsCommand command, CommandContext context)
    {
        (List<string> page, bool more) = services.Store.ListGroups(command.After, PageLimit.Of(command.Limit));
        return new(new NamePage([.. page], more));
    }
}
