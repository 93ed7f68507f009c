using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Runtime.CompilerServices;
using MessagePack;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;
using SwooleGateway.Options;
using SwooleGateway.Protocol.Messages;
using SwooleGateway.Transport;

namespace SwooleGateway.Protocol;

/// <summary>Receives the frames of an authenticated internal link. Called on the link's read loop; must not block.</summary>
internal interface IFrameHandler
{
    /// <summary>
    /// Handles one frame of kind <see cref="FieldReader.Kind"/>; <paramref name="frame"/> is positioned at its first field
    /// (read it with <see cref="Frame.Read{T}"/>). The bytes it reads are valid only during the call. Throwing closes the link.
    /// </summary>
    void OnFrame(InternalConnection connection, ref FieldReader frame);

    /// <summary>
    /// Called after the frames of one read (a batch: everything the peer's writer coalesced), also when one of them
    /// threw. The gateway sends the client messages the batch deferred here.
    /// </summary>
    void OnBatchEnd(InternalConnection connection)
    {
    }

    /// <summary>
    /// Called when the read loop has nothing to read: its next read is pending (registered), so frames that arrive now
    /// are read on another thread while this call runs. The calling thread is the one that read the last batch, about to
    /// go back to the thread pool: the worker runs that batch's handlers here, without a thread switch. May run at the
    /// same time as the next <see cref="OnFrame"/>; exceptions are logged and do not close the link.
    /// </summary>
    void OnIdle(InternalConnection connection)
    {
    }
}

/// <summary>
/// One authenticated internal link (register, gateway or worker side): handshake, a read loop that
/// hands frames to an <see cref="IFrameHandler"/>, heartbeats, and a coalescing <see cref="OutboundWriter"/>.
/// </summary>
internal sealed partial class InternalConnection
{
    private readonly ConnectionContext _transport;
    private readonly SwooleGatewayOptions _options;
    private readonly ILogger _logger;
    private readonly OutboundWriter _writer;
    private readonly CancellationTokenSource _closing = new();
    private readonly FlushWork _flushWork;
    private long _lastReceived = Environment.TickCount64;
    private readonly long _silentAfterMs; // one and a half heartbeat intervals: a live peer sends a ping every interval
    private string? _closeReason;
    private int _flushScheduled;

    private InternalConnection(ConnectionContext transport, SwooleGatewayOptions options, ILogger logger, string peerRole, string peerId)
    {
        _transport = transport;
        _options = options;
        _logger = logger;
        PeerRole = peerRole;
        PeerId = peerId;
        _writer = new OutboundWriter(transport.Transport.Output, options.MaxInternalBacklogBytes);
        _flushWork = new FlushWork(this);
        _silentAfterMs = (long)(options.HeartbeatInterval.TotalMilliseconds * 1.5);
    }

    /// <summary>
    /// Nothing has arrived for more than one and a half heartbeat intervals, though a live peer pings every interval:
    /// it may be down, frozen or cut off. Only a hint (the heartbeat timeout decides): a gateway sends new clients to other
    /// workers meanwhile.
    /// </summary>
    public bool IsSilent => Environment.TickCount64 - Volatile.Read(ref _lastReceived) > _silentAfterMs;

    public string PeerRole { get; }

    public string PeerId { get; }

    /// <summary>The tags the peer sent in its handshake (a worker's <c>SwooleGateway:Worker:Tags</c>); empty for the others.</summary>
    public string[] PeerTags { get; private init; } = [];

    public EndPoint? RemoteEndPoint => _transport.RemoteEndPoint;

    /// <summary>Cancelled when the link starts closing.</summary>
    public CancellationToken Closing => _closing.Token;

    /// <summary>
    /// Runs just before every <see cref="FlushNow"/> (at the end of a <see cref="FlushScope"/>, in a flush scheduled by
    /// <see cref="FlushSoon"/>, or called directly), on the flushing thread: the owner writes what it batched
    /// (acknowledgements) with <see cref="WriteDeferred(ReadOnlySpan{byte})"/>, so it leaves in the same syscall.
    /// </summary>
    public Action<InternalConnection>? BeforeFlush { get; set; }

    /// <summary>
    /// Server side of the handshake. Returns null (after logging why and closing) when the peer fails it.
    /// </summary>
    public static async Task<InternalConnection?> AcceptAsync(
        ConnectionContext transport, string localRole, string localId, Func<string, bool> acceptRole,
        SwooleGatewayOptions options, ILogger logger, CancellationToken cancellationToken)
    {
        PipeReader input = transport.Transport.Input;
        PipeWriter output = transport.Transport.Output;
        string remote = transport.RemoteEndPoint?.ToString() ?? "?";
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(options.HandshakeTimeout);
            byte[] serverNonce = Handshake.NewNonce();
            await WriteAsync(output, Frame.Write(new HelloFrame(Handshake.ProtocolVersion, localRole, localId, serverNonce))).ConfigureAwait(false);

            AuthFrame auth = (await ReadHandshakeAsync<AuthFrame>(input, acceptReject: false, timeout.Token).ConfigureAwait(false)).Message;
            if (auth.Version != Handshake.ProtocolVersion)
            {
                Log.HandshakeRejected(logger, remote, auth.Role, auth.NodeId, $"protocol version {auth.Version}, this node speaks {Handshake.ProtocolVersion}");
                await RejectAsync(transport, RejectReason.UnsupportedVersion, $"protocol version {auth.Version} is not supported; this {localRole} speaks {Handshake.ProtocolVersion}").ConfigureAwait(false);
                return null;
            }

            IReadOnlyList<string> secrets = options.CurrentSecrets;
            int matched = -1;
            for (int i = 0; i < secrets.Count && matched < 0; i++)
            {
                if (Handshake.ProofMatches(Handshake.ClientProof(secrets[i], serverNonce, auth.Nonce, auth.Role, auth.NodeId), auth.Proof))
                {
                    matched = i;
                }
            }

            if (matched < 0)
            {
                Log.HandshakeRejected(logger, remote, auth.Role, auth.NodeId, "wrong secret (its SwooleGateway:Secret differs from ours)");
                await RejectAsync(transport, RejectReason.BadSecret, "wrong secret: SwooleGateway:Secret must be the same on every node").ConfigureAwait(false);
                return null;
            }

            if (!acceptRole(auth.Role))
            {
                Log.HandshakeRejected(logger, remote, auth.Role, auth.NodeId, $"role '{auth.Role}' does not connect to a {localRole}");
                await RejectAsync(transport, RejectReason.RoleNotAccepted, $"a {localRole} does not accept role '{auth.Role}'").ConfigureAwait(false);
                return null;
            }

            if (matched > 0)
            {
                Log.PreviousSecret(logger, auth.Role, auth.NodeId, remote, matched);
            }

            await WriteAsync(output, Frame.Write(new WelcomeFrame(Handshake.ServerProof(secrets[matched], auth.Nonce, serverNonce)))).ConfigureAwait(false);
            return new InternalConnection(transport, options, logger, auth.Role, auth.NodeId) { PeerTags = auth.Tags };
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            Log.HandshakeFailed(logger, remote, $"no valid handshake within {options.HandshakeTimeout.TotalSeconds:0.#} s");
        }
        catch (Exception ex) when (ex is ProtocolErrorException or MessagePackSerializationException or EndOfStreamException or InvalidOperationException)
        {
            Log.HandshakeFailed(logger, remote, ex.Message);
        }
        catch (Exception ex) when (ex is IOException or ConnectionResetException or ConnectionAbortedException or OperationCanceledException)
        {
            Log.HandshakeFailed(logger, remote, "connection lost during handshake");
        }

        await CloseTransportAsync(transport).ConfigureAwait(false);
        return null;
    }

    /// <summary>Client side of the handshake. Throws <see cref="HandshakeException"/> when refused or the peer cannot prove the secret.</summary>
    public static async Task<InternalConnection> ConnectAsync(
        SocketTransport sockets, IPEndPoint endpoint, string localRole, string localId,
        SwooleGatewayOptions options, ILogger logger, CancellationToken cancellationToken, string[]? localTags = null)
    {
        ConnectionContext transport = await sockets.ConnectAsync(endpoint, options.ConnectTimeout, cancellationToken).ConfigureAwait(false);
        return await HandshakeAsClientAsync(transport, endpoint.ToString(), localRole, localId, options, logger, cancellationToken, localTags).ConfigureAwait(false);
    }

    /// <summary>Client side of the handshake over any transport (sockets, or in-memory pipes in tests).</summary>
    internal static async Task<InternalConnection> HandshakeAsClientAsync(
        ConnectionContext transport, string endpoint, string localRole, string localId,
        SwooleGatewayOptions options, ILogger logger, CancellationToken cancellationToken, string[]? localTags = null)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(options.HandshakeTimeout);
            HelloFrame hello = (await ReadHandshakeAsync<HelloFrame>(transport.Transport.Input, acceptReject: false, timeout.Token).ConfigureAwait(false)).Message;
            if (hello.Version != Handshake.ProtocolVersion)
            {
                throw new HandshakeException($"{endpoint} speaks internal protocol version {hello.Version}; this node speaks {Handshake.ProtocolVersion}.", permanent: true);
            }

            byte[] clientNonce = Handshake.NewNonce();
            string secret = options.CurrentSecrets[0]; // the current one: the peer accepts it, or says "wrong secret"
            byte[] proof = Handshake.ClientProof(secret, hello.Nonce, clientNonce, localRole, localId);
            await WriteAsync(transport.Transport.Output, Frame.Write(new AuthFrame(Handshake.ProtocolVersion, localRole, localId, clientNonce, proof, localTags ?? []))).ConfigureAwait(false);

            (WelcomeFrame welcome, RejectFrame? rejected) = await ReadHandshakeAsync<WelcomeFrame>(transport.Transport.Input, acceptReject: true, timeout.Token).ConfigureAwait(false);
            if (rejected is { } reject)
            {
                throw new HandshakeException($"{hello.Role} at {endpoint} refused the handshake: {reject.Text}", permanent: reject.Reason == RejectReason.BadSecret);
            }

            if (!Handshake.ProofMatches(Handshake.ServerProof(secret, clientNonce, hello.Nonce), welcome.Proof))
            {
                throw new HandshakeException($"{hello.Role} at {endpoint} could not prove the shared secret: wrong secret (SwooleGateway:Secret differs).", permanent: true);
            }

            return new InternalConnection(transport, options, logger, hello.Role, hello.NodeId);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            await CloseTransportAsync(transport).ConfigureAwait(false);
            throw new HandshakeException($"{endpoint} did not complete the handshake within {options.HandshakeTimeout.TotalSeconds:0.#} s.", permanent: false);
        }
        catch (Exception ex) when (ex is ProtocolErrorException or MessagePackSerializationException or EndOfStreamException)
        {
            await CloseTransportAsync(transport).ConfigureAwait(false);
            throw new HandshakeException($"{endpoint} broke the handshake: {ex.Message}", permanent: false);
        }
        catch
        {
            await CloseTransportAsync(transport).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Queues one complete frame (from <see cref="Frame"/>). False when the link is closed or backlogged.</summary>
    public bool TrySend(ReadOnlySpan<byte> frame) => Write(frame, defer: false, out _);

    /// <summary>
    /// Queues a fire-and-forget frame without flushing, and makes sure a flush follows soon: at the end of the calling
    /// thread's <see cref="FlushScope"/> (a batch of handlers), or else by <see cref="RequestFlush"/>. So the frames many
    /// handlers write at about the same time (their answers) leave together, in few syscalls. Anything that waits for a
    /// reply uses <see cref="TrySend(ReadOnlySpan{byte})"/>, which flushes at once.
    /// </summary>
    public bool TrySendSoon(ReadOnlySpan<byte> frame)
    {
        bool queued = Write(frame, defer: true, out bool deferred);
        if (deferred)
        {
            FlushSoon();
        }

        return queued;
    }

    /// <summary>Has this link flushed at the end of the calling thread's <see cref="FlushScope"/>, or soon on the pool when there is none.</summary>
    public void FlushSoon()
    {
        if (FlushScope.Current is { } scope)
        {
            scope.Owe(this);
        }
        else
        {
            RequestFlush();
        }
    }

    /// <summary>Writes a frame without flushing and without scheduling a flush: for <see cref="BeforeFlush"/>, whose flush follows.</summary>
    public bool WriteDeferred(ReadOnlySpan<byte> frame) => Write(frame, defer: true, out _);

    /// <summary>
    /// Writes a frame without flushing; <paramref name="owesFlush"/> is true when the caller must call
    /// <see cref="FlushNow"/> (it wrote the first unflushed bytes; writes after it until that flush ride along). Lets a
    /// caller write in order under its own lock and flush after releasing it.
    /// </summary>
    public bool WriteDeferred(ReadOnlySpan<byte> frame, out bool owesFlush) => Write(frame, defer: true, out owesFlush);

    /// <summary>
    /// Makes sure a flush runs soon: on the thread pool, queued behind the work already there (the other handlers of the
    /// batch that is running), so one flush carries what they all wrote. At most one is pending at a time.
    /// </summary>
    private void RequestFlush()
    {
        if (Interlocked.Exchange(ref _flushScheduled, 1) == 0)
        {
            ThreadPool.UnsafeQueueUserWorkItem(_flushWork, preferLocal: false);
        }
    }

    /// <summary>Writes what <see cref="BeforeFlush"/> adds and flushes now, on the calling thread.</summary>
    public void FlushNow()
    {
        Volatile.Write(ref _flushScheduled, 0);
        BeforeFlush?.Invoke(this);
        _writer.Flush();
    }

    private bool Write(ReadOnlySpan<byte> frame, bool defer, out bool deferred)
    {
        WriteResult result = _writer.TryWrite(frame, ReadOnlySequence<byte>.Empty, default, defer);
        deferred = result == WriteResult.Deferred;
        if (result == WriteResult.Overflow)
        {
            Abort($"peer is not reading: more than {_options.MaxInternalBacklogBytes} bytes backlogged");
        }

        return result is WriteResult.Written or WriteResult.Queued or WriteResult.Deferred;
    }

    /// <summary>
    /// Awaits a pending read like <c>ConfigureAwait(false)</c> does, and once the continuation is registered (so the loop
    /// resumes on another thread when data comes) gives the current thread to <see cref="IFrameHandler.OnIdle"/>.
    /// </summary>
    private readonly struct IdleRead(ValueTask<ReadResult> read, IFrameHandler handler, InternalConnection connection) : ICriticalNotifyCompletion
    {
        public IdleRead GetAwaiter() => this;

        public bool IsCompleted => read.IsCompleted;

        public ReadResult GetResult() => read.ConfigureAwait(false).GetAwaiter().GetResult();

        public void OnCompleted(Action continuation)
        {
            read.ConfigureAwait(false).GetAwaiter().OnCompleted(continuation);
            connection.Idle(handler);
        }

        public void UnsafeOnCompleted(Action continuation)
        {
            read.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(continuation);
            connection.Idle(handler);
        }
    }

    private void Idle(IFrameHandler handler)
    {
        try
        {
            handler.OnIdle(this);
        }
        catch (Exception ex)
        {
            Log.IdleFailed(_logger, PeerRole, PeerId, ex);
        }
    }

    /// <summary>The scheduled flush of <see cref="RequestFlush"/>: one instance per link, queued without allocating.</summary>
    private sealed class FlushWork(InternalConnection connection) : IThreadPoolWorkItem
    {
        public void Execute() => connection.FlushNow();
    }

    /// <summary>Writes <paramref name="message"/> and queues it (see <see cref="TrySend(ReadOnlySpan{byte})"/>).</summary>
    public bool TrySend<T>(in T message) where T : struct, IFrameMessage<T> => TrySend(Frame.Write(message));

    /// <summary>Starts closing the link; <see cref="RunAsync"/> returns soon after.</summary>
    public void Abort(string reason)
    {
        Interlocked.CompareExchange(ref _closeReason, reason, null);
        _closing.Cancel();
    }

    /// <summary>
    /// Runs the read loop and heartbeats until the peer goes away, a protocol error occurs,
    /// <see cref="Abort"/> is called or <paramref name="cancellationToken"/> fires. Never throws for network or peer errors.
    /// </summary>
    public async Task RunAsync(IFrameHandler handler, CancellationToken cancellationToken)
    {
        using CancellationTokenRegistration reg = cancellationToken.Register(static s => ((InternalConnection)s!).Abort("shutting down"), this);
        Task heartbeat = HeartbeatAsync();
        PipeReader input = _transport.Transport.Input;
        try
        {
            while (true)
            {
                ValueTask<ReadResult> read = input.ReadAsync(_closing.Token);
                ReadResult result = read.IsCompleted ? await read.ConfigureAwait(false) : await new IdleRead(read, handler, this);
                ReadOnlySequence<byte> buffer = result.Buffer;
                try
                {
                    if (!buffer.IsEmpty)
                    {
                        Volatile.Write(ref _lastReceived, Environment.TickCount64);
                    }

                    while (FrameCodec.TryReadFrame(ref buffer, _options.MaxInternalFrameSize, out ReadOnlySequence<byte> body))
                    {
                        Dispatch(handler, body);
                    }

                    if (result.IsCompleted || result.IsCanceled)
                    {
                        Abort(buffer.IsEmpty ? "peer closed the connection" : $"peer closed the connection in the middle of a frame ({buffer.Length} bytes pending)");
                        break;
                    }
                }
                finally
                {
                    handler.OnBatchEnd(this);
                    input.AdvanceTo(buffer.Start, buffer.End);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception ex) when (ex is ProtocolErrorException or MessagePackSerializationException or EndOfStreamException)
        {
            Log.ProtocolError(_logger, PeerRole, PeerId, RemoteEndPoint?.ToString() ?? "?", ex.Message);
            Abort("protocol error: " + ex.Message);
        }
        catch (Exception ex) when (ex is IOException or ConnectionResetException or ConnectionAbortedException or ObjectDisposedException)
        {
            Abort("connection lost");
        }
        catch (Exception ex)
        {
            Log.HandlerFailed(_logger, PeerRole, PeerId, ex);
            Abort("handler failed: " + ex.Message);
        }
        finally
        {
            Abort("closed");
            _writer.Close();
            await heartbeat.ConfigureAwait(false);
            await CloseTransportAsync(_transport).ConfigureAwait(false);

            // _closing is not disposed: other threads may still ask whether the link is closing (it has no timer to free).
        }
    }

    /// <summary>Why the link closed (after <see cref="RunAsync"/> returned).</summary>
    public string CloseReason => _closeReason ?? "open";

    private void Dispatch(IFrameHandler handler, ReadOnlySequence<byte> body)
    {
        FieldReader frame = Frame.Open(body);
        switch (frame.Kind)
        {
            case MessageKind.Ping:
                TrySend(new PongFrame());
                return;
            case MessageKind.Pong:
                return;
            case MessageKind.Hello or MessageKind.Auth or MessageKind.Welcome or MessageKind.Reject:
                ThrowHelper.Protocol($"handshake frame {frame.Kind} after the handshake");
                return;
            default:
                handler.OnFrame(this, ref frame);
                return;
        }
    }

    private async Task HeartbeatAsync()
    {
        using var timer = new PeriodicTimer(_options.HeartbeatInterval);
        bool silenceLogged = false;
        try
        {
            while (await timer.WaitForNextTickAsync(_closing.Token).ConfigureAwait(false))
            {
                long silentMs = Environment.TickCount64 - Volatile.Read(ref _lastReceived);
                if (silentMs > _options.HeartbeatTimeout.TotalMilliseconds)
                {
                    Log.HeartbeatTimeout(_logger, PeerRole, PeerId, RemoteEndPoint?.ToString() ?? "?", silentMs / 1000.0);
                    Abort($"no traffic for {silentMs / 1000.0:0.#} s");
                    return;
                }

                bool silent = silentMs > _silentAfterMs;
                if (silent != silenceLogged)
                {
                    silenceLogged = silent;
                    if (silent)
                    {
                        Log.PeerSilent(_logger, PeerRole, PeerId, RemoteEndPoint?.ToString() ?? "?", silentMs / 1000.0, _options.HeartbeatTimeout.TotalSeconds);
                    }
                    else
                    {
                        Log.PeerHeardAgain(_logger, PeerRole, PeerId);
                    }
                }

                TrySend(new PingFrame());
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Reads the next handshake frame, which must be a <typeparamref name="T"/> (or, with <paramref name="acceptReject"/>, a Reject).</summary>
    private static async Task<(T Message, RejectFrame? Rejected)> ReadHandshakeAsync<T>(PipeReader input, bool acceptReject, CancellationToken cancellationToken)
        where T : struct, IFrameMessage<T>
    {
        while (true)
        {
            ReadResult result = await input.ReadAsync(cancellationToken).ConfigureAwait(false);
            ReadOnlySequence<byte> buffer = result.Buffer;
            try
            {
                if (FrameCodec.TryReadFrame(ref buffer, Handshake.MaxHandshakeFrame, out ReadOnlySequence<byte> body))
                {
                    return Decode<T>(body, acceptReject);
                }

                if (result.IsCompleted)
                {
                    throw new EndOfStreamException(buffer.IsEmpty ? "peer closed the connection during the handshake" : "peer closed the connection in the middle of a handshake frame");
                }
            }
            finally
            {
                input.AdvanceTo(buffer.Start, buffer.End);
            }
        }
    }

    private static (T, RejectFrame?) Decode<T>(in ReadOnlySequence<byte> body, bool acceptReject) where T : struct, IFrameMessage<T>
    {
        FieldReader frame = Frame.Open(body);
        if (frame.Kind == T.Kind)
        {
            return (Frame.Read<T>(ref frame), null);
        }

        if (acceptReject && frame.Kind == MessageKind.Reject)
        {
            return (default, Frame.Read<RejectFrame>(ref frame));
        }

        ThrowHelper.Protocol($"expected {T.Kind}, got {frame.Kind}");
        return default;
    }

    private static ValueTask<FlushResult> WriteAsync(PipeWriter output, ReadOnlySpan<byte> frame)
    {
        output.Write(frame);
        return output.FlushAsync();
    }

    private static async Task RejectAsync(ConnectionContext transport, RejectReason reason, string text)
    {
        try
        {
            await WriteAsync(transport.Transport.Output, Frame.Write(new RejectFrame(reason, text))).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The peer may already be gone; the log line above says why it was refused.
        }

        await CloseTransportAsync(transport).ConfigureAwait(false);
    }

    private static async Task CloseTransportAsync(ConnectionContext transport)
    {
        try
        {
            await transport.Transport.Output.CompleteAsync().ConfigureAwait(false);
            await transport.Transport.Input.CompleteAsync().ConfigureAwait(false);
            await transport.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Teardown of a connection that is already broken.
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1001, LogLevel.Warning, "Refused internal peer {Remote} ({Role} {NodeId}): {Reason}", EventName = "HandshakeRejected")]
        public static partial void HandshakeRejected(ILogger logger, string remote, string role, string nodeId, string reason);

        [LoggerMessage(1008, LogLevel.Information, "{Role} {NodeId} at {Remote} authenticated with SwooleGateway:Secrets[{Index}], not this node's current secret: fine while a rotation is under way; finish it on every node", EventName = "OtherSecretAccepted")]
        public static partial void PreviousSecret(ILogger logger, string role, string nodeId, string remote, int index);

        [LoggerMessage(1002, LogLevel.Warning, "Closed internal connection from {Remote}: handshake failed: {Reason}", EventName = "HandshakeFailed")]
        public static partial void HandshakeFailed(ILogger logger, string remote, string reason);

        [LoggerMessage(1003, LogLevel.Warning, "Closing internal link to {Role} {NodeId} at {Remote}: protocol error: {Reason}", EventName = "InternalProtocolError")]
        public static partial void ProtocolError(ILogger logger, string role, string nodeId, string remote, string reason);

        [LoggerMessage(1009, LogLevel.Warning, "Nothing from {Role} {NodeId} at {Remote} for {Seconds:0.0} s, though it pings every heartbeat interval: it may be down, frozen or cut off (the link closes if it stays silent for HeartbeatTimeout, {Timeout:0.#} s; a gateway sends new clients to other workers meanwhile)", EventName = "PeerSilent")]
        public static partial void PeerSilent(ILogger logger, string role, string nodeId, string remote, double seconds, double timeout);

        [LoggerMessage(1010, LogLevel.Information, "{Role} {NodeId} is heard from again", EventName = "PeerHeardAgain")]
        public static partial void PeerHeardAgain(ILogger logger, string role, string nodeId);

        [LoggerMessage(1004, LogLevel.Warning, "Closing internal link to {Role} {NodeId} at {Remote}: no traffic for {Seconds:0.0} s (heartbeat timeout)", EventName = "HeartbeatTimeout")]
        public static partial void HeartbeatTimeout(ILogger logger, string role, string nodeId, string remote, double seconds);

        [LoggerMessage(1005, LogLevel.Error, "Closing internal link to {Role} {NodeId}: frame handler failed", EventName = "FrameHandlerFailed")]
        public static partial void HandlerFailed(ILogger logger, string role, string nodeId, Exception exception);

        [LoggerMessage(1006, LogLevel.Error, "Work done between reads of the internal link to {Role} {NodeId} failed (the link stays open)", EventName = "IdleWorkFailed")]
        public static partial void IdleFailed(ILogger logger, string role, string nodeId, Exception exception);
    }
}
