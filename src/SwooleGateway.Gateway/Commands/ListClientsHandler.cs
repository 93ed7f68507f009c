using SwooleGateway.Protocol.Commands;

namespace SwooleGateway.Gateway.Commands;

internal sealed class ListClientsHandler(CommandServices services) : ICommandHandler<ListClientsCommand, ClientIdPage>
{
    public ValueTask<ClientIdPage> Execute(in ListClientsCommand command, CommandContext context)
    {
        (List<ulong> page, bool more) = services.Store.ListClients(command.Scope, command.Key, command.After, PageLimit.Of(command.Limit));
        return new(new ClientIdPage([.. page], more));
    }
}
