using System.Buffers;
using SwooleGateway.Protocol;
using SwooleGateway.Protocol.Commands;

namespace SwooleGateway.Gateway.Commands;

/// <summary>Runs an application command registered with <c>AddSwooleGatewayCommand</c>; its task may outlive the frame (the payload is copied).</summary>
internal sealed class CustomHandler(CommandServices services) : ICommandHandler<CustomCommand, BytesResult>
{
    public ValueTask<BytesResult> Execute(in CustomCommand command, CommandContext context)
    {
        if (!services.CustomCommands.TryGetValue(command.Name, out GatewayCommandHandler? handler))
        {
            throw new CommandRefusedException(ReplyStatus.UnknownCommand, $"custom:{command.Name}: no such command is registered on this gateway (AddSwooleGatewayCommand)");
        }

        return RunAsync(handler, command.Name, services.CustomContext(context.Link.Connection.PeerId), command.Payload.ToArray());
    }

    private static async ValueTask<BytesResult> RunAsync(GatewayCommandHandler handler, string name, GatewayCommandContext context, byte[] payload)
    {
        try
        {
            return new BytesResult(await handler(context, payload).ConfigureAwait(false));
        }
        catch (Exception ex) when (ex is not CommandRefusedException)
        {
            throw new CommandRefusedException(ReplyStatus.Failed, $"custom:{name}: {ex.Message}");
        }
    }
}
