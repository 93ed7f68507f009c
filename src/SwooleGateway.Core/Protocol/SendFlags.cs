namespace SwooleGateway.Protocol;

/// <summary>How the gateway frames an outbound message for WebSocket clients. Values are wire format.</summary>
public enum SendFlags : uint
{
    /// <summary>Text frame when the bytes are valid UTF-8, binary otherwise.</summary>
    Auto = 0,
    Text = 1,
    Binary = 2,
}
