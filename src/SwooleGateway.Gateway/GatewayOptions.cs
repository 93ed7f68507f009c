namespace SwooleGateway.Gateway;

/// <summary>Gateway settings, section <c>SwooleGateway:Gateway</c>.</summary>
public sealed class GatewayOptions
{
    public const string SectionName = "SwooleGateway:Gateway";

    /// <summary>Internal listener that workers connect to. Default <c>127.0.0.1:2900</c>.</summary>
    public string Internal { get; set; } = "127.0.0.1:2900";

    /// <summary>
    /// Address announced to the register and encoded into client ids (workers connect to it). Default: the
    /// bound internal address; required when <see cref="Internal"/> listens on all interfaces.
    /// </summary>
    public string? AdvertiseAddress { get; set; }

    /// <summary>Client listeners. Default: WebSocket on <c>127.0.0.1:7272</c> and newline-delimited TCP on <c>127.0.0.1:7273</c>.</summary>
    public List<ListenerOptions> Listeners { get; set; } = [];

    /// <summary>Largest client message (WebSocket message after reassembly, or TCP frame). Default 64 KiB.</summary>
    public int MaxFrameSize { get; set; } = 64 * 1024;

    /// <summary>A client must finish its handshake (WebSocket upgrade) within this time. Default 10 s.</summary>
    public TimeSpan HandshakeTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Largest HTTP upgrade request accepted. Default 8 KiB.</summary>
    public int MaxHandshakeSize { get; set; } = 8 * 1024;

    /// <summary>Outbound bytes buffered for one slow client beyond the transport's own buffer before it is closed. Default 1 MiB.</summary>
    public long MaxPendingBytesPerClient { get; set; } = 1024 * 1024;

    /// <summary>Most client connections this gateway accepts. Default 1,000,000.</summary>
    public int MaxConnections { get; set; } = 1_000_000;

    public static IReadOnlyList<ListenerOptions> DefaultListeners { get; } =
    [
        new ListenerOptions { Name = "ws", Protocol = ListenerProtocol.WebSocket, Endpoint = "127.0.0.1:7272" },
        new ListenerOptions { Name = "tcp", Protocol = ListenerProtocol.Tcp, Endpoint = "127.0.0.1:7273" },
    ];

    public IReadOnlyList<ListenerOptions> EffectiveListeners => Listeners.Count > 0 ? Listeners : DefaultListeners;
}

public enum ListenerProtocol
{
    WebSocket,
    Tcp,
}

/// <summary>How a TCP listener cuts the stream into messages.</summary>
public enum TcpFraming
{
    /// <summary>Each message ends with <see cref="ListenerOptions.Delimiter"/>.</summary>
    Delimiter,

    /// <summary>Each message starts with its length (<see cref="ListenerOptions.LengthSize"/> bytes).</summary>
    LengthPrefixed,

    /// <summary>Each read is a message; outbound bytes go as they are.</summary>
    Raw,

    /// <summary>A framer registered with <c>AddSwooleGatewayFramer</c>, named by <see cref="ListenerOptions.Framer"/>.</summary>
    Custom,
}

/// <summary>One client listener.</summary>
public sealed class ListenerOptions
{
    /// <summary>Name reported in events and client info. Default: the protocol name.</summary>
    public string? Name { get; set; }

    public ListenerProtocol Protocol { get; set; } = ListenerProtocol.WebSocket;

    /// <summary>Listen address, <c>host:port</c>; port 0 picks a free port.</summary>
    public string Endpoint { get; set; } = "127.0.0.1:0";

    /// <summary>WebSocket: the only request path accepted (for example <c>/ws</c>); null accepts any path.</summary>
    public string? Path { get; set; }

    /// <summary>TCP: how the stream is cut into messages. Default <see cref="TcpFraming.Delimiter"/>.</summary>
    public TcpFraming Framing { get; set; } = TcpFraming.Delimiter;

    /// <summary>TCP, Delimiter: the delimiter that ends each message, as text with escapes (<c>\n</c>, <c>\r\n</c>). Default <c>\n</c>.</summary>
    public string Delimiter { get; set; } = "\\n";

    /// <summary>TCP, LengthPrefixed: bytes of the length prefix, 1, 2 or 4. Default 4.</summary>
    public int LengthSize { get; set; } = 4;

    /// <summary>TCP, LengthPrefixed: big-endian (network order) length. Default true.</summary>
    public bool LengthBigEndian { get; set; } = true;

    /// <summary>TCP, LengthPrefixed: the length counts the prefix itself (GatewayWorker's Frame protocol does). Default false.</summary>
    public bool LengthIncludesHeader { get; set; }

    /// <summary>TCP, Custom: the name a framer was registered under with <c>AddSwooleGatewayFramer</c>.</summary>
    public string? Framer { get; set; }

    public string DisplayName => Name ?? Protocol.ToString().ToLowerInvariant();

    /// <summary>The delimiter with escapes resolved, as bytes.</summary>
    public byte[] DelimiterBytes()
    {
        string text = Delimiter.Replace("\\r", "\r", StringComparison.Ordinal).Replace("\\n", "\n", StringComparison.Ordinal)
            .Replace("\\t", "\t", StringComparison.Ordinal).Replace("\\0", "\0", StringComparison.Ordinal);
        if (text.Length == 0)
        {
            throw new InvalidOperationException($"Listener {DisplayName}: Delimiter must not be empty.");
        }

        return System.Text.Encoding.UTF8.GetBytes(text);
    }
}
