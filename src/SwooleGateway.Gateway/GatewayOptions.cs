using System.Globalization;
using Microsoft.Extensions.Configuration;

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

    /// <summary>
    /// Client listeners. Default: <c>ws</c>, WebSocket on <c>127.0.0.1:7272</c>, and <c>tcp</c>, newline-delimited TCP on
    /// <c>127.0.0.1:7273</c>. In configuration, entry <c>i</c> starts as default listener <c>i</c> (if there is one) and the
    /// options it sets replace those defaults one by one, so <c>Listeners:0:Endpoint=0.0.0.0:8282</c> moves the WebSocket
    /// listener and keeps the TCP one; <c>Listeners:1:Enabled=false</c> removes the TCP one.
    /// </summary>
    public List<ListenerOptions> Listeners { get; set; } = [];

    /// <summary>Largest client message (WebSocket message after reassembly, or TCP frame). Default 64 KiB.</summary>
    public int MaxFrameSize { get; set; } = 64 * 1024;

    /// <summary>
    /// On a graceful stop (SIGTERM), after the gateway has told workers and registers it is leaving and stopped accepting
    /// and reading from clients, it waits up to this long for the events its clients already sent to be handled (their
    /// answers delivered) before it closes the clients (WebSocket status 1001, going away). It ends as soon as nothing is
    /// in flight. Default 5 s; zero closes at once.
    /// </summary>
    public TimeSpan ShutdownGracePeriod { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// After at least this many clients connected or left (and at least a tenth of those connected now), once none has
    /// connected or left for 2 s plus a random 0–3 s drawn per gateway (so gateways on one machine do not trim at the
    /// same moment), the gateway runs one compacting garbage collection that returns what their handshakes
    /// and connections left behind to the OS (at most once per 30 s; a pause of about 70 ms at 15,000 clients on 2
    /// cores). Without it, an idle gateway keeps that garbage resident: its clients allocate nothing, so the runtime
    /// never collects again after a reconnect storm. Default 1,000; 0 turns it off. Live.
    /// </summary>
    public int TrimMemoryAfterChurn { get; set; } = 1000;

    /// <summary>A client must finish its handshake (WebSocket upgrade) within this time. Default 10 s.</summary>
    public TimeSpan HandshakeTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Largest HTTP upgrade request accepted. Default 8 KiB.</summary>
    public int MaxHandshakeSize { get; set; } = 8 * 1024;

    /// <summary>
    /// Client events held while no worker is connected (for example during a worker restart), or while a client's events
    /// wait for a stopping worker to finish the earlier ones, then sent in order; beyond this many at once, new events are
    /// dropped and counted. 0 = drop at once. Default 10,000.
    /// </summary>
    public int HoldEventsWithoutWorker { get; set; } = 10_000;

    /// <summary>The same bound in bytes of held event frames (10,000 × 64 KiB would otherwise be 640 MiB). Default 16 MiB.</summary>
    public long HoldEventBytesWithoutWorker { get; set; } = 16L * 1024 * 1024;

    /// <summary>
    /// Events sent to one worker and not yet acknowledged (its handlers have not completed them) that the gateway keeps, to
    /// redeliver them if the worker goes away. When a worker has this many, the reads of its clients pause (their TCP
    /// windows fill) until it catches up: nothing is dropped and no guarantee is lost. Default 65,536.
    /// </summary>
    public int MaxUnackedEventsPerWorker { get; set; } = 65_536;

    /// <summary>The same bound in bytes of event frames. Default 64 MiB.</summary>
    public long MaxUnackedBytesPerWorker { get; set; } = 64L * 1024 * 1024;

    /// <summary>
    /// Events of one client that no handler has finished: sent to its worker and not yet acknowledged, or held while it
    /// has none. When a client has this many (its handler is stuck or slower than the client sends, or it floods while no
    /// worker is connected), that client's reads pause (its own TCP window fills) until a quarter of them are done, so one
    /// client cannot fill its worker's window (<see cref="MaxUnackedEventsPerWorker"/>) and stall every other client of
    /// that worker, nor fill the hold (<see cref="HoldEventsWithoutWorker"/>) so that other clients' events are dropped.
    /// Nothing is dropped. Default 1,024; 0 turns the bound off.
    /// </summary>
    public int MaxUnackedEventsPerClient { get; set; } = 1024;

    /// <summary>
    /// A client event that was its client's oldest unfinished event on this many workers that went away without
    /// finishing it (killed, crashed, cut off, or out of DrainTimeout) is dropped instead of being redelivered again:
    /// an event that crashes whichever worker runs it (a "poison" event) would otherwise take every worker down in turn,
    /// and again after each restart. Logged with the client id (<c>PoisonEventDropped</c>), counted
    /// (<c>events_poison_dropped</c>); the client's later events go on. Only the client's oldest unfinished event counts a
    /// loss (its later ones had not started: a client's events run one at a time, in order). Default 3; 0 = redeliver
    /// without limit.
    /// </summary>
    public int MaxWorkerLossesPerEvent { get; set; } = 3;

    /// <summary>
    /// Held events older than this are dropped (counted): when a worker connects, and every second while none does, so
    /// held events do not stay in memory when no worker ever comes. Default 10 s.
    /// </summary>
    public TimeSpan HoldEventsFor { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Outbound bytes buffered for one slow client beyond the transport's own buffer before it is closed. Default 1 MiB.</summary>
    public long MaxPendingBytesPerClient { get; set; } = 1024 * 1024;

    /// <summary>Most client connections this gateway accepts. Default 1,000,000.</summary>
    public int MaxConnections { get; set; } = 1_000_000;

    /// <summary>
    /// Most connections from one IP address; 0 = no limit (the default: carrier-grade NAT puts many real users
    /// behind one address). Changeable while running.
    /// </summary>
    public int MaxConnectionsPerIp { get; set; }

    /// <summary>What happens when a client's outbound queue is full (it reads slower than we send). Default Close.</summary>
    public SlowClientPolicy SlowClientPolicy { get; set; } = SlowClientPolicy.Close;

    /// <summary>Per-IP message throttle (the seed's token refill). Off by default. Changeable while running.</summary>
    public ThrottleOptions Throttle { get; set; } = new();

    /// <summary>Which worker handles each client's events (section <c>Routing</c>); an <c>IEventRouter</c> registered in DI replaces it.</summary>
    public RoutingOptions Routing { get; set; } = new();

    /// <summary>The listeners of a gateway whose configuration names none.</summary>
    public static IReadOnlyList<ListenerOptions> DefaultListeners { get; } = [DefaultListener(0)!, DefaultListener(1)!];

    /// <summary>The listeners the gateway opens: <see cref="Listeners"/> without the disabled ones, or the defaults when there are none.</summary>
    public IReadOnlyList<ListenerOptions> EffectiveListeners => Listeners.Count > 0 ? Listeners.Where(l => l.Enabled).ToList() : DefaultListeners;

    /// <summary>A new instance of default listener <paramref name="index"/>; null past the defaults.</summary>
    private static ListenerOptions? DefaultListener(int index) => index switch
    {
        0 => new ListenerOptions { Name = "ws", Protocol = ListenerProtocol.WebSocket, Endpoint = "127.0.0.1:7272" },
        1 => new ListenerOptions { Name = "tcp", Protocol = ListenerProtocol.Tcp, Endpoint = "127.0.0.1:7273" },
        _ => null,
    };

    /// <summary>
    /// Builds <see cref="Listeners"/> from the configuration section <c>SwooleGateway:Gateway:Listeners</c>, entry by entry
    /// over the defaults at the same index (entries past the defaults start from <see cref="ListenerOptions"/>' own
    /// defaults). The default listeners no entry mentions stay. Without the section, <see cref="Listeners"/> is left as it is.
    /// </summary>
    internal static List<ListenerOptions>? MergeListeners(IConfigurationSection section)
    {
        var entries = new SortedDictionary<int, IConfigurationSection>();
        foreach (IConfigurationSection entry in section.GetChildren())
        {
            if (!int.TryParse(entry.Key, NumberStyles.None, CultureInfo.InvariantCulture, out int index))
            {
                throw new InvalidOperationException(
                    $"{entry.Path}: listeners are numbered entries ({section.Path}:0:Endpoint=..., {section.Path}:1:Protocol=Tcp, or a JSON array); " +
                    $"'{entry.Key}' is not a number. Name a listener with its Name option.");
            }

            entries[index] = entry;
        }

        if (entries.Count == 0)
        {
            return null;
        }

        var listeners = new List<ListenerOptions>();
        foreach (int i in Enumerable.Range(0, DefaultListeners.Count).Union(entries.Keys).Order())
        {
            ListenerOptions? listener = DefaultListener(i);
            if (entries.TryGetValue(i, out IConfigurationSection? entry))
            {
                listener ??= new ListenerOptions();
                entry.Bind(listener);
            }

            if (listener is not null)
            {
                listeners.Add(listener);
            }
        }

        return listeners;
    }
}

public enum ListenerProtocol
{
    WebSocket,
    Tcp,
}

/// <summary>A listener's certificate: PEM (CertificatePath + KeyPath) or PFX (CertificatePath ending .pfx/.p12 + Password). Reloaded when the files change.</summary>
public sealed class TlsOptions
{
    public string CertificatePath { get; set; } = "";

    /// <summary>PEM private key file; omit when the certificate file holds the key too.</summary>
    public string? KeyPath { get; set; }

    /// <summary>PFX password.</summary>
    public string? Password { get; set; }
}

/// <summary>What the gateway does with a client whose outbound queue (<see cref="GatewayOptions.MaxPendingBytesPerClient"/>) is full.</summary>
public enum SlowClientPolicy
{
    /// <summary>Close it: it reconnects and resynchronises, nothing is silently lost.</summary>
    Close,

    /// <summary>Drop the message that does not fit.</summary>
    DropNewest,

    /// <summary>Drop the oldest queued messages to make room (latest state wins: telemetry, game state).</summary>
    DropOldest,
}

/// <summary>
/// Per-IP token bucket: every <see cref="RefillInterval"/> an IP gets <see cref="TokensPerInterval"/> tokens (up to
/// that many banked); each client message takes one. When none is left, <see cref="Action"/> applies.
/// </summary>
public sealed class ThrottleOptions
{
    /// <summary>Messages per interval per IP; 0 = throttle off (default).</summary>
    public int TokensPerInterval { get; set; }

    /// <summary>Default 1 s.</summary>
    public TimeSpan RefillInterval { get; set; } = TimeSpan.FromSeconds(1);

    public ThrottleAction Action { get; set; } = ThrottleAction.Drop;
}

public enum ThrottleAction
{
    /// <summary>Drop the message (the client stays connected).</summary>
    Drop,

    /// <summary>Close the client that sent it.</summary>
    Close,

    /// <summary>Close every client of that IP.</summary>
    CloseAllFromIp,
}

/// <summary>
/// How a gateway picks the worker for a client's events. A client stays with its worker (its events run in order there)
/// until its worker leaves or, with <see cref="RoutingStrategy.ConsistentHash"/>, until its key says otherwise.
/// </summary>
public sealed class RoutingOptions
{
    /// <summary>Default <see cref="RoutingStrategy.RoundRobin"/>.</summary>
    public RoutingStrategy Strategy { get; set; } = RoutingStrategy.RoundRobin;

    /// <summary>
    /// For <see cref="RoutingStrategy.ConsistentHash"/>, what a client's key is: <c>uid</c> (default; its bound uid),
    /// <c>group</c> (its first group in ordinal order), <c>group:PREFIX</c> (its first group whose name starts with PREFIX,
    /// e.g. <c>group:room:</c>), or <c>session:FIELD</c> (the value of a session field). A client without a key goes
    /// round-robin and stays put.
    /// </summary>
    public string Key { get; set; } = "uid";

    /// <summary>
    /// Listener name → tag: that listener's clients go only to workers with the tag (<c>SwooleGateway:Worker:Tags</c>);
    /// while none is connected their events are held. Listeners not named here use every worker.
    /// </summary>
    public Dictionary<string, string> ListenerTags { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// For <see cref="RoutingStrategy.RoundRobin"/>: when a worker joins (a new one, or one restarted after a crash), a
    /// fair share of the clients already connected moves to it from the busiest workers, each after its current worker
    /// has finished its events (in order; nothing runs twice). Default true. False: clients stay where they are and only
    /// new clients reach the worker that joined, so a worker restarted under long-lived connections stays idle while the
    /// others carry its share until clients reconnect.
    /// </summary>
    public bool RebalanceOnJoin { get; set; } = true;
}

public enum RoutingStrategy
{
    /// <summary>Each new client goes to the next worker (skipping workers that are behind); it stays there.</summary>
    RoundRobin,

    /// <summary>
    /// Clients with the same key (<see cref="RoutingOptions.Key"/>) go to the same worker, on every gateway; when a
    /// worker joins or leaves, only the keys of the hash ranges it takes or gives up move.
    /// </summary>
    ConsistentHash,
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

    /// <summary>False leaves this listener out (for example <c>Listeners:1:Enabled=false</c> to open no TCP listener). Default true.</summary>
    public bool Enabled { get; set; } = true;

    public ListenerProtocol Protocol { get; set; } = ListenerProtocol.WebSocket;

    /// <summary>Listen address, <c>host:port</c>; port 0 picks a free port.</summary>
    public string Endpoint { get; set; } = "127.0.0.1:0";

    /// <summary>WebSocket: the only request path accepted (for example <c>/ws</c>); null accepts any path.</summary>
    public string? Path { get; set; }

    /// <summary>TLS on this listener (wss:// for WebSocket, TLS for TCP); null (default) = plain.</summary>
    public TlsOptions? Tls { get; set; }

    /// <summary>Close a client from which nothing arrived for this long; zero (default) = never.</summary>
    public TimeSpan IdleTimeout { get; set; }

    /// <summary>
    /// Send a ping every interval (WebSocket: a ping frame; TCP: <see cref="PingData"/>, if set); zero (default) = no
    /// pings. A client from which nothing (a pong counts) arrived for <see cref="MaxMissedPings"/> intervals is closed.
    /// </summary>
    public TimeSpan PingInterval { get; set; }

    /// <summary>Intervals without any data from the client before it is closed. Default 2.</summary>
    public int MaxMissedPings { get; set; } = 2;

    /// <summary>TCP: the application ping payload (framed like any message; escapes as in Delimiter), like GatewayWorker's pingData.</summary>
    public string? PingData { get; set; }

    /// <summary>WebSocket: subprotocols this listener speaks, in preference order; the first one the client offers is chosen.</summary>
    public List<string> SubProtocols { get; set; } = [];

    /// <summary>WebSocket: if not empty, only these Origin header values may connect (others get 403).</summary>
    public List<string> AllowedOrigins { get; set; } = [];

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
        byte[] bytes = Unescape(Delimiter);
        if (bytes.Length == 0)
        {
            throw new InvalidOperationException($"Listener {DisplayName}: Delimiter must not be empty.");
        }

        return bytes;
    }

    /// <summary>Text with \r, \n, \t and \0 escapes resolved, as UTF-8.</summary>
    public static byte[] Unescape(string value)
    {
        string text = value.Replace("\\r", "\r", StringComparison.Ordinal).Replace("\\n", "\n", StringComparison.Ordinal)
            .Replace("\\t", "\t", StringComparison.Ordinal).Replace("\\0", "\0", StringComparison.Ordinal);
        return System.Text.Encoding.UTF8.GetBytes(text);
    }
}
