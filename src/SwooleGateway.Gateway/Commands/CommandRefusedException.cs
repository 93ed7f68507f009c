using SwooleGateway.Protocol;

namespace SwooleGateway.Gateway.Commands;

/// <summary>A handler refuses a command: the caller gets <see cref="Status"/>, the log gets <see cref="Exception.Message"/>.</summary>
internal sealed class CommandRefusedException(ReplyStatus status, string reason) : Exception(reason)
{
    public ReplyStatus Status { get; } = status;
}
