namespace SwooleGateway.Protocol;

/// <summary>A peer sent bytes that break the protocol; the connection that sent them is closed.</summary>
public sealed class ProtocolViolationException : Exception
{
    public ProtocolViolationException(string message) : base(message)
    {
    }
}
