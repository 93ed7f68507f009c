using System.IO.Pipelines;
using System.Net;
using Microsoft.AspNetCore.Connections;
using SwooleGateway.Transport;

namespace SwooleGateway.Gateway.Clients;

/// <summary>
/// One client connection on this gateway. Kept small: a gateway holds hundreds of thousands of them.
/// Uid and group fields are guarded by the <see cref="ClientStore"/> lock; the routing fields are only
/// touched by the connection's own read loop.
/// </summary>
internal sealed class ClientConnection
{
    private int _closing;

    private readonly IPEndPoint _gateway;
    private string? _clientId;

    public ClientConnection(ulong id, IPEndPoint gateway, ConnectionContext transport, ClientListener listener, long maxPendingBytes,
        OverflowPolicy policy = OverflowPolicy.Fail, IDuplexPipe? pipe = null)
    {
        Id = id;
        _gateway = gateway;
        Transport = transport;
        Pipe = pipe ?? transport.Transport;
        Listener = listener;
        Writer = new OutboundWriter(Pipe.Output, maxPendingBytes, policy);
        LastReceived = Environment.TickCount64;
        ConnectedAt = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
    }

    public ulong Id { get; }

    /// <summary>The client id, built when first needed (logs, rare paths): idle connections do not carry the string.</summary>
    public string ClientId => _clientId ??= SwooleGateway.ClientId.Encode(_gateway, Id);

    public ConnectionContext Transport { get; }

    /// <summary>What the protocol reads and writes: the socket's pipe, or the decrypted side of TLS.</summary>
    public IDuplexPipe Pipe { get; }

    /// <summary>The TLS session when the listener has TLS; disposed at teardown.</summary>
    public IAsyncDisposable? Tls { get; set; }

    public ClientListener Listener { get; }

    public OutboundWriter Writer { get; }

    public long ConnectedAt { get; }

    public IPEndPoint? Remote => Transport.RemoteEndPoint as IPEndPoint;

    // --- tables (ClientStore lock) ---
    public string? Uid { get; set; }

    public HashSet<string>? Groups { get; set; }

    public bool Removed { get; set; }

    /// <summary>Environment.TickCount64 of the last bytes received (read loop writes, supervisor reads).</summary>
    public long LastReceived;

    /// <summary>The per-IP entry this connection counts against; null when the remote address is unknown.</summary>
    public IpState? Ip { get; set; }

    // --- counters (in: read loop only; out: any thread, interlocked) ---
    public long MessagesIn;
    public long BytesIn;
    public long MessagesOut;
    public long BytesOut;

    // --- session (replaced atomically) ---
    public SessionState? Session;

    // --- routing (read loop only) ---
    public WorkerLink? Worker { get; set; }

    /// <summary>The worker that took over this client from a draining one (set under the gateway's hold lock).</summary>
    public WorkerLink? HandoverTarget { get; set; }

    /// <summary>Session version last sent to <see cref="Worker"/>; -1 = none.</summary>
    public long SessionSentVersion { get; set; } = -1;

    // --- protocol state (read loop only): a custom framer per connection ---
    public object? ProtocolState { get; set; }

    // --- WebSocket reassembly (read loop only) ---
    public PooledBufferWriter? Fragments { get; set; }

    public byte FragmentOpcode { get; set; }

    public bool IsClosing => Volatile.Read(ref _closing) != 0;

    /// <summary>Why the gateway closed this client, for the log; null when the client went away by itself.</summary>
    public string? CloseReason { get; private set; }

    /// <summary>
    /// Starts closing: graceful sends a WebSocket close frame (if applicable) and lets queued bytes drain;
    /// forced aborts the socket. Safe from any thread, idempotent.
    /// </summary>
    public void RequestClose(bool force, string reason, ushort webSocketCode = 1000)
    {
        if (Interlocked.Exchange(ref _closing, 1) != 0)
        {
            if (force)
            {
                Transport.Abort(new ConnectionAbortedException(reason));
            }

            return;
        }

        CloseReason = reason;
        if (force)
        {
            Writer.Close();
            Transport.Abort(new ConnectionAbortedException(reason));
            return;
        }

        Listener.WriteClose(this, webSocketCode, reason);
        Writer.Close();
        Pipe.Input.CancelPendingRead();
    }
}
