namespace SwooleGateway.Worker;

/// <summary>About the event a handler is running for (passed to <see cref="GatewayEventHandler.OnMessage(string, IReadOnlyDictionary{string, object?}?, ReadOnlyMemory{byte}, EventContext)"/>).</summary>
public readonly struct EventContext
{
    internal EventContext(bool redelivered, bool isText)
    {
        Redelivered = redelivered;
        IsText = isText;
    }

    /// <summary>
    /// True when the gateway delivered this event before, to a worker that went away (crashed, was killed, lost its link)
    /// without confirming that its handler had completed: the handler may already have run for it, there or here.
    /// Delivery to handlers is at least once; where running twice would be wrong, de-duplicate on this flag.
    /// </summary>
    public bool Redelivered { get; }

    /// <summary>The client sent a WebSocket text frame (false for binary frames and for TCP).</summary>
    public bool IsText { get; }
}
