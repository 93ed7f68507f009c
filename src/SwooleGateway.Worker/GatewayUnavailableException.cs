namespace SwooleGateway.Worker;

/// <summary>The gateway a call needed is not connected (unknown address, or its link is down).</summary>
public sealed class GatewayUnavailableException : Exception
{
    public GatewayUnavailableException(string message) : base(message)
    {
    }
}
