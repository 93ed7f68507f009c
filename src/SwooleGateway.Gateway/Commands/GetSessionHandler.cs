using SwooleGateway.Protocol.Commands;

namespace SwooleGateway.Gateway.Commands;

internal sealed class GetSessionHandler(CommandServices services) : ICommandHandler<GetSessionCommand, BytesResult>
{
    public ValueTask<BytesResult> Execute(in GetSessionCommand command, CommandContext context)
    {
        byte[]? session = services.Store.Find(command.ConnectionId) is { } client ? Volatile.Read(ref client.Session)?.Bytes : null;
        return new(new BytesResult(session is { Length: > 0 } ? session : null));
    }
}
