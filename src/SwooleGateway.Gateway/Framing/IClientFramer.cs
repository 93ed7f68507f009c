using System.Buffers;

namespace SwooleGateway.Gateway.Framing;

/// <summary>
/// How a TCP listener cuts the byte stream into messages and frames outbound ones. Built in: delimiter,
/// length prefix, raw. Plug in your own with <c>services.AddSwooleGatewayFramer("name", () =&gt; new MyFramer())</c>
/// and <c>"Framing": "Custom", "Framer": "name"</c> on the listener. One instance per connection (so it may keep state).
/// </summary>
/// <remarks>
/// The gateway calls <see cref="TryRead"/> with everything received and not yet consumed, after every read from the
/// connection's pipe; a message may span any number of reads. Outbound messages are written as
/// <see cref="WriteHeader"/> bytes, the payload, then <see cref="Trailer"/>, with no copy of the payload.
/// </remarks>
public interface IClientFramer
{
    /// <summary>
    /// Takes one message off the front of <paramref name="buffer"/> (advancing it past the message and its framing).
    /// Returns <see cref="FramerStatus.NeedMoreData"/> when no complete message is there yet (leave
    /// <paramref name="buffer"/> as it was) and <see cref="FramerStatus.Invalid"/> with <paramref name="error"/>
    /// to close the connection. <paramref name="maxMessageSize"/> is the listener's limit: refuse larger messages
    /// as early as their size is known.
    /// </summary>
    FramerStatus TryRead(ref ReadOnlySequence<byte> buffer, int maxMessageSize, out ReadOnlySequence<byte> message, out string? error);

    /// <summary>Writes the bytes that precede a payload of <paramref name="payloadLength"/> bytes; returns how many (at most 16).</summary>
    int WriteHeader(Span<byte> destination, long payloadLength);

    /// <summary>Bytes written after every payload (for example a delimiter); empty for none.</summary>
    ReadOnlySpan<byte> Trailer { get; }
}

public enum FramerStatus
{
    Message,
    NeedMoreData,
    Invalid,
}
