using System.IO.Pipelines;
using System.Net;
using Microsoft.AspNetCore.Connections;
using SwooleGateway.Gateway.Routing;
using SwooleGateway.Transport;

namespace SwooleGateway.Gateway.Clients;

/// <summary>
/// One client connection on this gateway. Kept small: a gateway holds hundreds of thousands of them. What each part
/// may be touched by is stated per part: the uid and group fields belong to <see cref="ClientStore"/> (under its lock),
/// <see cref="Route"/> to the <see cref="EventRouter"/>, the outbound side to <see cref="Writer"/> (thread-safe). The read
/// loop's own state (WebSocket fragments) is not here at all: it lives in <see cref="ClientReadState"/>, in the loop.
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
    public IAsyncDisposable? Tls { get; init; }

    public ClientListener Listener { get; }

    public OutboundWriter Writer { get; }

    public long ConnectedAt { get; }

    public IPEndPoint? Remote => Transport.RemoteEndPoint as IPEndPoint;

    /// <summary>The per-IP entry this connection counts against; null when the remote address is unknown.</summary>
    public IpState? Ip { get; init; }

    /// <summary>A custom framer's per-connection instance (it frames both directions, so senders use it too).</summary>
    public Framing.IClientFramer? Framer { get; set; }

    /// <summary>The uid and groups: the <see cref="ClientStore"/>'s, under its lock; ask the store (<see cref="ClientStore.Membership"/>).</summary>
    public StoreEntry StoreEntry;

    /// <summary>Environment.TickCount64 of the last bytes received (read loop writes, supervisor reads).</summary>
    public long LastReceived;

    // --- counters (in: read loop only; out: any thread, interlocked) ---
    public long MessagesIn;
    public long BytesIn;
    public long MessagesOut;
    public long BytesOut;

    // --- session (replaced atomically) ---
    public SessionState? Session;

    /// <summary>Which worker this client's events go to and what waits to be sent there; the <see cref="EventRouter"/>'s alone.</summary>
    public ClientRoute Route = new();

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

    /// <summary>
    /// The end of the connection: stops writes, lets queued bytes drain (at most 2 s, then aborts), completes the pipes
    /// and disposes TLS and the socket. Called once, by whoever owns the connection's lifetime.
    /// </summary>
    public async Task TearDownAsync()
    {
        Writer.Close();
        try
        {
            using var drain = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await Writer.DrainAsync(drain.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            Transport.Abort(new ConnectionAbortedException("outbound data did not drain"));
        }

        try
        {
            await Pipe.Output.CompleteAsync().ConfigureAwait(false);
            await Pipe.Input.CompleteAsync().ConfigureAwait(false);
            if (Tls is { } tls)
            {
                await tls.DisposeAsync().ConfigureAwait(false);
                await Transport.Transport.Output.CompleteAsync().ConfigureAwait(false);
                await Transport.Transport.Input.CompleteAsync().ConfigureAwait(false);
            }

            await Transport.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The socket is already gone.
        }
    }
}
