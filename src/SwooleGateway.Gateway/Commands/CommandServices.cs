using Microsoft.Extensions.Logging;
using SwooleGateway.Gateway.Clients;

namespace SwooleGateway.Gateway.Commands;

/// <summary>What command handlers work with: the tables, the sender, the custom commands and this gateway's identity.</summary>
internal sealed class CommandServices(ClientStore store, ClientSender sender, IReadOnlyDictionary<string, GatewayCommandHandler> customCommands,
    Func<string, GatewayCommandContext> customContext, ILogger logger, Action<ClientConnection, Routing.RoutingInputs>? reconsider = null)
{
    public ClientStore Store { get; } = store;

    public ClientSender Sender { get; } = sender;

    public IReadOnlyDictionary<string, GatewayCommandHandler> CustomCommands { get; } = customCommands;

    /// <summary>The context a custom command gets for a caller (its node id): this gateway's id and counts now.</summary>
    public Func<string, GatewayCommandContext> CustomContext { get; } = customContext;

    public ILogger Logger { get; } = logger;

    /// <summary>Tells the event router that something its choice may depend on changed for a client (a uid, groups, session).</summary>
    public void Reconsider(ClientConnection client, Routing.RoutingInputs changed) => reconsider?.Invoke(client, changed);
}
