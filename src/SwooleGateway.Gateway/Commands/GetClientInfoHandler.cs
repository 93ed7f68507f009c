using SwooleGateway.Protocol;
using SwooleGateway.Protocol.Commands;

namespace SwooleGateway.Gateway.Commands;

internal sealed class GetClientInfoHandler(CommandServices services) : ICommandHandler<GetClientInfoCommand, ClientInfoResult>
{
    public ValueTask<ClientInfoResult> Execute(in GetClientInfoCommand command, CommandContext context)
    {
        if (services.Store.Find(command.ConnectionId) is not { IsClosing: false } c)
        {
            return new(new ClientInfoResult(null));
        }

        (string? uid, string[] groups) = services.Store.Membership(c);
        return new(new ClientInfoResult(new ClientInfoValues
        {
            Fields = command.Fields & ClientInfoFlags.All,
            RemoteAddress = c.Remote?.Address.ToString() ?? "",
            RemotePort = c.Remote?.Port ?? 0,
            Uid = uid,
            Session = Volatile.Read(ref c.Session)?.Bytes,
            Groups = groups,
            Transport = c.Listener.Transport,
            Listener = c.Listener.Name,
            ConnectedAt = c.ConnectedAt,
            BytesIn = Volatile.Read(ref c.BytesIn),
            BytesOut = Volatile.Read(ref c.BytesOut),
            MessagesIn = Volatile.Read(ref c.MessagesIn),
            MessagesOut = Volatile.Read(ref c.MessagesOut),
        }));
    }
}
