namespace SwooleGateway.Worker;

/// <summary>About the event a handler is running for (passed to <see cref="GatewayEventHandler.OnMessage(string, IReadOnlyDictionary{string, object?}?, ReadOnlyMemory{byte}, EventContext)"/>).</summary>
public readonly struct EventContext
{
    internal EventContext(bool redelivered, bool isText, ulong messageNumber = 0)
    {
        Redelivered = redelivered;
        IsText = isText;
        MessageNumber = messageNumber;
    }

    /// <summary>
    /// The message's number on its client's connection: 1 for the first message the client sent, then increasing (a
    /// message the gateway's throttle dropped leaves a gap). The same when the message is redelivered, and client ids are
    /// never reused, so (client id, <see cref="MessageNumber"/>) identifies a message: store it with what the handler
    /// did, and a redelivered message whose pair is already stored has been handled. 0 from a gateway older than this
    /// field.
    /// </summary>
    public ulong MessageNumber { get; }

    /// <summary>
    /// True when the gateway delivered this event before, to a worker that went away (crashed, was killed, lost its link)
    /// without confirming that its handler had completed: the handler may already have run for it, there or here.
    /// Delivery to handlers is at least once; where running twice would be wrong, de-duplicate on this flag (and
    /// <see cref="MessageNumber"/>).
    /// </summary>
    public bool Redelivered { get; }

    /// <summary>The client sent a WebSocket text frame (false for binary frames and for TCP).</summary>
    public bool IsText { get; }
}
