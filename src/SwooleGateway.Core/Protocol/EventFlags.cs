namespace SwooleGateway.Protocol;

/// <summary>Bits of an event's <c>flags</c> field. Values are wire format.</summary>
[Flags]
internal enum EventFlags : uint
{
    None = 0,

    /// <summary>The client sent a WebSocket text frame.</summary>
    Text = 1,

    /// <summary>
    /// The gateway sent this event before, to a worker whose link closed before it acknowledged it: the handler may have
    /// run for it already.
    /// </summary>
    Redelivered = 2,
}
