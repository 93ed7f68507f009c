namespace SwooleGateway.Protocol;

/// <summary>A peer sent bytes that break the protocol; the connection that sent them is closed.</summary>
internal sealed class ProtocolErrorException : Exception
{
    public ProtocolErrorException(string message) : base(message)
    {
    }
}
