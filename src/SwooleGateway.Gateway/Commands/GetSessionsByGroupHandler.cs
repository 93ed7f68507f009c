using SwooleGateway.Protocol;
using SwooleGateway.Protocol.Commands;

namespace SwooleGateway.Gateway.Commands;

internal sealed class GetSessionsByGroupHandler(CommandServices services) : ICommandHandler<GetSessionsByGroupCommand, SessionPage>
{
    public ValueTask<SessionPage> Execute(in GetSessionsByGroupCommand command, CommandContext context)
    {
        (List<ulong> page, bool more) = services.Store.ListClients(ListScope.Group, command.Group, command.After, PageLimit.Of(command.Limit));
        var items = new List<(ulong, byte[]?)>(page.Count);
        foreach (ulong id in page)
        {
            byte[]? session = services.Store.Find(id) is { } c ? Volatile.Read(ref c.Session)?.Bytes : null;
            items.Add((id, session is { Length: > 0 } ? session : null));
        }

        return new(new SessionPage(items, more));
    }
}
