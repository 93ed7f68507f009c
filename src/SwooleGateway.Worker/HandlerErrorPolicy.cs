namespace SwooleGateway.Worker;

/// <summary>What the worker does with a client whose handler threw (the exception is logged and counted either way).</summary>
public enum HandlerErrorPolicy
{
    /// <summary>Keep the client connected; its next event is handled as usual.</summary>
    Continue,

    /// <summary>Close the client (gracefully: what is queued for it is still delivered).</summary>
    CloseClient,
}
