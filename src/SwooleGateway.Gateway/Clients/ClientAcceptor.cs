using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;

namespace SwooleGateway.Gateway.Clients;

/// <summary>
/// Accepting and protecting client connections: the connection limits (per gateway, per IP, live), TLS, the protocol
/// handshake and the application's authorizer, all within <see cref="GatewayOptions.HandshakeTimeout"/>. A client that
/// passes gets its connection number, joins the tables and is announced (its connect event); one that fails gets a log
/// line saying why and its socket closed, and costs nobody else anything.
/// </summary>
internal sealed partial class ClientAcceptor(
    GatewayOptions options, LiveGatewayOptions live, ClientStore store, IPEndPoint advertised, ClientAuthorizer? authorizer, ILogger logger, GatewayMetrics metrics)
{
    private readonly IpTable _ips = new();
    private ulong _nextConnectionId = (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() << 16;
    private int _admitted; // connections past the MaxConnections check: in their handshake or open (interlocked)

    /// <summary>
    /// The most clients this gateway admits: <see cref="GatewayOptions.MaxConnections"/> (live), or fewer when the process's
    /// file descriptor limit would run out first.
    /// </summary>
    public int MaxConnections => Math.Min(live.Current.MaxConnections, DescriptorBudget);

    /// <summary>The clients the process's file descriptor limit leaves room for (set by <see cref="GatewayServer"/> at start, from <see cref="Hosting.FileDescriptors"/>).</summary>
    public int DescriptorBudget { get; init; } = int.MaxValue;

    private long _fullLoggedAt = long.MinValue / 2;

    /// <summary>
    /// The accept loops call this before each accept: at the limit they stop accepting until a client leaves, and new
    /// clients wait in the kernel's listen backlog (as behind nginx's worker_connections or HAProxy's maxconn) instead of
    /// each taking a file descriptor just to be refused. Logged at most once per 10 s.
    /// </summary>
    public async ValueTask WaitForRoomAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _admitted) < MaxConnections)
        {
            return;
        }

        long now = Environment.TickCount64;
        long logged = Volatile.Read(ref _fullLoggedAt);
        if (now - logged >= 10_000 && Interlocked.CompareExchange(ref _fullLoggedAt, now, logged) == logged)
        {
            Log.AtLimit(logger, MaxConnections, MaxConnections < live.Current.MaxConnections ? "the process's file descriptor limit (raise ulimit -n / LimitNOFILE)" : "MaxConnections");
        }

        int delay = 5;
        while (Volatile.Read(ref _admitted) >= MaxConnections)
        {
            await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            delay = Math.Min(delay * 2, 50);
        }
    }

    /// <summary>
    /// Protects and opens one connection; <paramref name="opened"/> announces it (with what its handshake told, and the uid
    /// the authorizer bound) once it is in the tables. Null when the client was refused: the transport is closed then. A client that goes away during the
    /// handshake surfaces as the transport's exception (an ordinary disconnect), also after its transport was closed.
    /// </summary>
    public async Task<ClientConnection?> AcceptAsync(ConnectionContext transport, ClientListener listener, Action<ClientConnection, ClientHandshake, string?> opened)
    {
        string remote = transport.RemoteEndPoint?.ToString() ?? "?";
        if (Interlocked.Increment(ref _admitted) > MaxConnections) // checked and taken in one step: no race between accepts
        {
            Interlocked.Decrement(ref _admitted);
            await RefuseAsync(transport, remote, listener, MaxConnections < live.Current.MaxConnections
                ? $"gateway is at its connection limit ({MaxConnections}, set by the process's file descriptor limit; raise ulimit -n / LimitNOFILE)"
                : $"gateway is at MaxConnections ({MaxConnections})", counted: false).ConfigureAwait(false);
            return null;
        }

        IpState? ip = null;
        if (transport.RemoteEndPoint is IPEndPoint remoteIp)
        {
            int perIp = live.Current.MaxConnectionsPerIp;
            ip = _ips.TryAcquire(remoteIp.Address, perIp);
            if (ip is null)
            {
                await RefuseAsync(transport, remote, listener, $"{remoteIp.Address} already has {perIp} connections (MaxConnectionsPerIp)", counted: true).ConfigureAwait(false);
                Closed();
                return null;
            }
        }

        long deadline = Environment.TickCount64 + (long)options.HandshakeTimeout.TotalMilliseconds; // TLS and protocol handshake together
        (IDuplexPipe? pipe, SslStream? tls) = (null, null);
        if (listener.Certificates is { } certificates)
        {
            (pipe, tls, string? tlsError) = await StartTlsAsync(transport, certificates, deadline).ConfigureAwait(false);
            if (tlsError is not null)
            {
                Release(ip);
                await RefuseAsync(transport, remote, listener, tlsError, counted: true).ConfigureAwait(false);
                Closed();
                return null;
            }
        }

        var connection = new ClientConnection(Interlocked.Increment(ref _nextConnectionId), advertised, transport, listener,
            live.Current.MaxPendingBytesPerClient, ClientSender.PolicyOf(live.Current.SlowClientPolicy), pipe) // live: for connections opened from now on
        {
            Ip = ip,
            Tls = tls,
        };

        bool open = false;
        try
        {
            open = await OpenAsync(connection, listener, remote, deadline, opened).ConfigureAwait(false);
            return open ? connection : null;
        }
        finally
        {
            if (!open)
            {
                Release(ip);
                try
                {
                    await connection.TearDownAsync().ConfigureAwait(false);
                }
                finally
                {
                    Closed();
                }
            }
        }
    }

    /// <summary>The connection has left the tables: its IP may connect again.</summary>
    public void Release(ClientConnection connection) => Release(connection.Ip);

    /// <summary>
    /// An admitted connection's socket is closed (after its teardown, not when it leaves the tables: until then it still
    /// holds its file descriptor, and counting it free earlier would let a busy gateway take more descriptors than it has).
    /// </summary>
    public void Closed() => Interlocked.Decrement(ref _admitted);

    private void Release(IpState? ip)
    {
        if (ip is not null)
        {
            _ips.Release(ip);
        }
    }

    /// <summary>
    /// Protocol handshake and authorization, then the client joins the tables and is announced. In a method of its own so
    /// that the request (headers, query) is garbage once the client is open, not kept by the connection's long-lived loop.
    /// </summary>
    private async Task<bool> OpenAsync(ClientConnection connection, ClientListener listener, string remote, long deadline, Action<ClientConnection, ClientHandshake, string?> opened)
    {
        ClientHandshake? handshake;
        HandshakeDecision decision;
        string? error;
        using (var timeout = new CancellationTokenSource(TimeSpan.FromMilliseconds(Math.Max(1, deadline - Environment.TickCount64))))
        {
            try
            {
                (handshake, decision, error) = await listener.HandshakeAsync(connection, authorizer, timeout.Token).ConfigureAwait(false);
            }
            catch (ClientListener.AuthorizerTimeoutException)
            {
                (handshake, decision, error) = (null, default, $"the authorizer did not decide within {options.HandshakeTimeout.TotalSeconds:0.#} s (HandshakeTimeout)");
            }
            catch (OperationCanceledException)
            {
                (handshake, decision, error) = (null, default, $"no complete handshake within {options.HandshakeTimeout.TotalSeconds:0.#} s (HandshakeTimeout)");
            }
        }

        if (error is not null || handshake is null)
        {
            metrics.ClientErrors.Add(1);
            Log.ClientRefused(logger, remote, listener.Name, error ?? "refused");
            return false;
        }

        if (decision.Session is { } session)
        {
            Volatile.Write(ref connection.Session, SessionState.Initial(session));
        }

        store.Add(connection);
        try
        {
            string? uid = decision.Uid is { Length: > 0 } bound ? bound : null;
            if (uid is not null)
            {
                store.BindUid(connection, uid);
            }

            opened(connection, handshake, uid);
            connection.Writer.Flush(); // what the handshake left unflushed (the WebSocket 101) goes now that the client is in the tables
            return true;
        }
        catch
        {
            store.Remove(connection);
            throw;
        }
    }

    /// <summary>TLS server handshake over the socket's pipe; returns the decrypted pipe, or an error for the log.</summary>
    private static async Task<(IDuplexPipe? Pipe, SslStream? Tls, string? Error)> StartTlsAsync(ConnectionContext transport, Tls.CertificateSource certificates, long deadline)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMilliseconds(Math.Max(1, deadline - Environment.TickCount64)));
        CancellationToken cancellationToken = timeout.Token;
        var ssl = new SslStream(new Tls.DuplexPipeStream(transport.Transport), leaveInnerStreamOpen: true);
        try
        {
            await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
            {
                ServerCertificate = certificates.Current,
                ClientCertificateRequired = false,
            }, cancellationToken).ConfigureAwait(false);
            var pipe = new DecryptedPipe(
                PipeReader.Create(ssl, new StreamPipeReaderOptions(bufferSize: 4096, minimumReadSize: 1024, leaveOpen: true)),
                PipeWriter.Create(ssl, new StreamPipeWriterOptions(leaveOpen: true)));
            return (pipe, ssl, null);
        }
        catch (Exception ex)
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
            return (null, null, ex is OperationCanceledException ? "no TLS handshake within HandshakeTimeout" : "TLS handshake failed: " + ex.Message);
        }
    }

    private async Task RefuseAsync(ConnectionContext transport, string remote, ClientListener listener, string reason, bool counted)
    {
        if (counted)
        {
            metrics.ClientErrors.Add(1);
        }

        Log.ClientRefused(logger, remote, listener.Name, reason);
        transport.Abort(new ConnectionAbortedException(reason));
        await transport.DisposeAsync().ConfigureAwait(false);
    }

    private sealed class DecryptedPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }

    private static partial class Log
    {
        [LoggerMessage(3022, LogLevel.Warning, "{Clients} clients are connected, the most this gateway admits ({Limit}): new clients wait in the listen backlog until one leaves", EventName = "AtConnectionLimit")]
        public static partial void AtLimit(ILogger logger, int clients, string limit);

        [LoggerMessage(3008, LogLevel.Information, "Refused client from {Remote} on {Listener}: {Reason}", EventName = "ClientRefused")]
        public static partial void ClientRefused(ILogger logger, string remote, string listener, string reason);
    }
}
