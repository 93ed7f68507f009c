using System.Buffers;

namespace SwooleGateway.Protocol;

/// <summary>
/// A client event frame (connect, message, close): what the gateway sends a worker, keeps until the worker acknowledges
/// it, and sends again (flagged <see cref="EventFlags.Redelivered"/>) to another worker when the first one is gone.
/// </summary>
internal interface IClientEvent<TSelf> : IFrameMessage<TSelf> where TSelf : struct, IClientEvent<TSelf>
{
    EventHeader Header { get; }

    /// <summary>The version of the client's session this event carries (the worker caches it by version).</summary>
    uint SessionVersion { get; }

    /// <summary>
    /// This event as one link sends it: numbered <paramref name="sequence"/> on that link, with the extra
    /// <paramref name="flags"/>; a message leaves its session out when <paramref name="workerHasSession"/> (the worker got
    /// that version from this link before).
    /// </summary>
    TSelf ForLink(ulong sequence, EventFlags flags, bool workerHasSession);

    /// <summary>This event with the client's current session in full (before it goes to another worker); connect and close events keep their own.</summary>
    TSelf WithSession(uint version, in ReadOnlySequence<byte> session);
}
