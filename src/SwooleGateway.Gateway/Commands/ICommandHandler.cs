using SwooleGateway.Protocol;

namespace SwooleGateway.Gateway.Commands;

/// <summary>
/// Executes one Gateway API operation on this gateway. One class per operation, found by the
/// <see cref="CommandExecutor"/> when the gateway starts: adding an operation means adding its command type (in
/// SwooleGateway.Protocol.Commands) and its handler here, nothing else on this side.
/// </summary>
/// <remarks>
/// Runs on the calling link's read loop: never block. The command points into the received frame and is
/// valid only until <see cref="Execute"/> returns (or, for an asynchronous handler, until its first await). Throw
/// <see cref="CommandRefusedException"/> to answer with a refusal status.
/// </remarks>
internal interface ICommandHandler<TCommand, TResult>
    where TCommand : struct, ICommand<TCommand, TResult>
    where TResult : struct, IWireFields<TResult>
{
    ValueTask<TResult> Execute(in TCommand command, CommandContext context);
}
