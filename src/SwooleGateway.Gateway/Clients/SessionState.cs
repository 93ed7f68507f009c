namespace SwooleGateway.Gateway.Clients;

/// <summary>
/// A client's session as the gateway stores it: the MessagePack map bytes exactly as a worker sent
/// them (never re-encoded on the event path) and a version that lets the gateway send the bytes to
/// a worker only when they changed. Immutable; replaced atomically.
/// </summary>
internal sealed record SessionState(byte[] Bytes, uint Version);
