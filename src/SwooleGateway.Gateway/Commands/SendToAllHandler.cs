using SwooleGateway.Gateway.Clients;
using SwooleGateway.Protocol.Commands;

namespace SwooleGateway.Gateway.Commands;

internal sealed class SendToAllHandler(CommandServices services) : ICommandHandler<SendToAllCommand, NoResult>
{
    public ValueTask<NoResult> Execute(in SendToAllCommand command, CommandContext context)
    {
        var fanOut = new FanOut(services.Sender, context.Batch, command.Payload, command.Flags, command.Exclude, several: false);
        try
        {
            foreach (KeyValuePair<ulong, ClientConnection> entry in services.Store.Connections)
            {
                FanOut.Send(entry.Value, ref fanOut);
            }
        }
        finally
        {
            fanOut.Dispose();
        }

        return default;
    }
}
