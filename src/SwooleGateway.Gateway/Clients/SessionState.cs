using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using MessagePack;

namespace SwooleGateway.Gateway.Clients;

/// <summary>
/// A client's session as the gateway stores it: the MessagePack map bytes exactly as a worker sent
/// them (never re-encoded on the event path) and a version that lets the gateway send the bytes to
/// a worker only when they changed. Immutable; replaced atomically.
/// </summary>
internal sealed record SessionState(byte[] Bytes, uint Version)
{
    private static readonly MessagePackSerializerOptions s_options =
        MessagePackSerializerOptions.Standard.WithSecurity(MessagePackSecurity.UntrustedData);

    /// <summary>The session an authorizer set before the client was accepted.</summary>
    public static SessionState Initial(IReadOnlyDictionary<string, object?> session) =>
        new(MessagePackSerializer.Serialize(new Dictionary<string, object?>(session), s_options), 1);

    /// <summary>The session as a dictionary (null when empty), for a router that routes by a session field.</summary>
    public IReadOnlyDictionary<string, object?>? Decode() =>
        Bytes.Length == 0 ? null : MessagePackSerializer.Deserialize<Dictionary<string, object?>>(Bytes, s_options);

    /// <summary>
    /// Replaces (or, with <paramref name="merge"/>, merges key by key into) the session of <paramref name="connection"/>;
    /// empty <paramref name="bytes"/> delete it. False, with the reason, when the bytes are not a MessagePack map.
    /// </summary>
    public static bool TryApply(ClientConnection connection, in ReadOnlySequence<byte> bytes, bool merge, [NotNullWhen(false)] out string? error)
    {
        error = null;
        Dictionary<string, object?>? incoming = null;
        if (!bytes.IsEmpty)
        {
            try
            {
                incoming = MessagePackSerializer.Deserialize<Dictionary<string, object?>>(bytes, s_options);
            }
            catch (MessagePackSerializationException ex)
            {
                error = "session is not a MessagePack map with string keys: " + ex.Message;
                return false;
            }
        }

        if (merge && (incoming is null || incoming.Count == 0))
        {
            return true; // merging nothing changes nothing
        }

        // Versions only grow (deleting stores an empty session with a new version), so a worker's cached copy
        // is never mistaken for a newer session that happens to reuse its version number.
        while (true)
        {
            SessionState? current = Volatile.Read(ref connection.Session);
            byte[] next;
            if (!merge || current is null || current.Bytes.Length == 0)
            {
                next = incoming is null ? [] : bytes.ToArray();
            }
            else
            {
                var merged = MessagePackSerializer.Deserialize<Dictionary<string, object?>>(current.Bytes, s_options);
                foreach (KeyValuePair<string, object?> entry in incoming!)
                {
                    merged[entry.Key] = entry.Value;
                }

                next = MessagePackSerializer.Serialize(merged, s_options);
            }

            var replacement = new SessionState(next, (current?.Version ?? 0) + 1);
            if (Interlocked.CompareExchange(ref connection.Session, replacement, current) == current)
            {
                return true;
            }
        }
    }
}
