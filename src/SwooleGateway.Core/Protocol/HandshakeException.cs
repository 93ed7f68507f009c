namespace SwooleGateway.Protocol;

/// <summary>An internal handshake was refused or failed. <see cref="Permanent"/> is true when retrying cannot help (wrong secret, version).</summary>
internal sealed class HandshakeException : Exception
{
    public HandshakeException(string message, bool permanent) : base(message) => Permanent = permanent;

    public bool Permanent { get; }
}
