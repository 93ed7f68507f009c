using System.Buffers;
using System.IO.Pipelines;
using System.Net.Security;
using MessagePack;
using Microsoft.AspNetCore.Connections;
using SwooleGateway.Gateway.Clients;
using SwooleGateway.Protocol;

namespace SwooleGateway.Gateway;

public sealed partial class GatewayServer
{
    private async Task HandleClientAsync(ConnectionContext transport, ClientListener listener)
    {
        string remote = transport.RemoteEndPoint?.ToString() ?? "?";
        if (_store.Count >= _gatewayOptions.MaxConnections)
        {
            Log.ClientRefused(_logger, remote, listener.Name, $"gateway is at MaxConnections ({_gatewayOptions.MaxConnections})");
            transport.Abort(new ConnectionAbortedException("too many connections"));
            await transport.DisposeAsync().ConfigureAwait(false);
            return;
        }

        IpState? ip = null;
        if (transport.RemoteEndPoint is System.Net.IPEndPoint remoteIp)
        {
            int perIp = Live.MaxConnectionsPerIp;
            ip = _ips.TryAcquire(remoteIp.Address, perIp);
            if (ip is null)
            {
                GatewayMetrics.ClientErrors.Add(1);
                Log.ClientRefused(_logger, remote, listener.Name, $"{remoteIp.Address} already has {perIp} connections (MaxConnectionsPerIp)");
                transport.Abort(new ConnectionAbortedException("too many connections from this IP"));
                await transport.DisposeAsync().ConfigureAwait(false);
                return;
            }
        }

        long deadline = Environment.TickCount64 + (long)_gatewayOptions.HandshakeTimeout.TotalMilliseconds; // TLS and protocol handshake together
        (IDuplexPipe? pipe, SslStream? tls) = (null, null);
        if (listener.Certificates is { } certificates)
        {
            (pipe, tls, string? tlsError) = await StartTlsAsync(transport, certificates, deadline).ConfigureAwait(false);
            if (tlsError is not null)
            {
                GatewayMetrics.ClientErrors.Add(1);
                Log.ClientRefused(_logger, remote, listener.Name, tlsError);
                if (ip is not null)
                {
                    _ips.Release(ip);
                }

                transport.Abort(new ConnectionAbortedException(tlsError));
                await transport.DisposeAsync().ConfigureAwait(false);
                return;
            }
        }

        ulong id = Interlocked.Increment(ref _nextConnectionId);
        var connection = new ClientConnection(id, _advertised!, transport, listener, _gatewayOptions.MaxPendingBytesPerClient,
            PolicyOf(_gatewayOptions.SlowClientPolicy), pipe)
        {
            Ip = ip,
            Tls = tls,
        };
        bool added = false;
        try
        {
            // The handshake runs in its own method so that the request (headers, query) is garbage once the client
            // is open: a local of this long-lived method would keep it alive for the life of the connection.
            added = await OpenAsync(connection, listener, remote, deadline).ConfigureAwait(false);
            if (!added)
            {
                return;
            }

            // The read loop, inline rather than in a method of its own: one async state machine per idle connection
            // instead of two (~170 bytes each; a gateway holds hundreds of thousands of them).
            PipeReader input = connection.Pipe.Input;
            while (true)
            {
                ReadResult result = await input.ReadAsync().ConfigureAwait(false);
                ReadOnlySequence<byte> buffer = result.Buffer;
                ParseResult parsed = ParseResult.Continue;
                Volatile.Write(ref connection.LastReceived, Environment.TickCount64);
                try
                {
                    if (connection.IsClosing)
                    {
                        return;
                    }

                    parsed = listener.Parse(connection, ref buffer, this);
                }
                finally
                {
                    input.AdvanceTo(buffer.Start, buffer.End);
                }

                if (parsed.PeerClosed)
                {
                    connection.RequestClose(force: false, "client sent close", parsed.CloseCode);
                    return;
                }

                if (parsed.ShouldClose)
                {
                    GatewayMetrics.ClientErrors.Add(1);
                    Log.ClientError(_logger, connection.ClientId, connection.Remote?.ToString() ?? "?", listener.Name, parsed.Reason ?? "protocol error");
                    connection.RequestClose(force: false, parsed.Reason ?? "protocol error", parsed.CloseCode);
                    return;
                }

                if (result.IsCompleted || result.IsCanceled)
                {
                    return;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or ConnectionResetException or ConnectionAbortedException or ObjectDisposedException or OperationCanceledException)
        {
            // An ordinary disconnect: not an error.
        }
        finally
        {
            if (ip is not null)
            {
                _ips.Release(ip); // before the connection leaves the tables: whoever sees it gone may connect again at once
            }

            try
            {
                if (added || _store.Find(connection.Id) == connection)
                {
                    (string? uid, string[] groups) = _store.Remove(connection);
                    SendCloseEvent(connection, uid, groups);
                    Log.ClientClosed(_logger, connection.ClientId, connection.CloseReason ?? "client went away");
                }

                listener.Release(connection);
            }
            finally
            {
                await TearDownAsync(connection).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Protocol handshake and authorization, then the client joins the tables and its connect event goes out.</summary>
    private async Task<bool> OpenAsync(ClientConnection connection, ClientListener listener, string remote, long deadline)
    {
        ClientHandshake? handshake;
        HandshakeDecision decision;
        string? error;
        using (var timeout = new CancellationTokenSource(TimeSpan.FromMilliseconds(Math.Max(1, deadline - Environment.TickCount64))))
        {
            try
            {
                (handshake, decision, error) = await listener.HandshakeAsync(connection, _authorizer, timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                (handshake, decision, error) = (null, default, $"no complete handshake within {_gatewayOptions.HandshakeTimeout.TotalSeconds:0.#} s (HandshakeTimeout)");
            }
        }

        if (error is not null || handshake is null)
        {
            GatewayMetrics.ClientErrors.Add(1);
            Log.ClientRefused(_logger, remote, listener.Name, error ?? "refused");
            return false;
        }

        if (decision.Session is { } session)
        {
            Volatile.Write(ref connection.Session, new SessionState(MessagePackSerializer.Serialize(new Dictionary<string, object?>(session), s_sessionOptions), 1));
        }

        _store.Add(connection);
        if (decision.Uid is { Length: > 0 } uid)
        {
            _store.BindUid(connection, uid);
        }

        SendConnectEvent(connection, handshake);
        return true;
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

    private sealed class DecryptedPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }

    private static async Task TearDownAsync(ClientConnection connection)
    {
        connection.Writer.Close();
        try
        {
            using var drain = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await connection.Writer.DrainAsync(drain.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            connection.Transport.Abort(new ConnectionAbortedException("outbound data did not drain"));
        }

        try
        {
            await connection.Pipe.Output.CompleteAsync().ConfigureAwait(false);
            await connection.Pipe.Input.CompleteAsync().ConfigureAwait(false);
            if (connection.Tls is { } tls)
            {
                await tls.DisposeAsync().ConfigureAwait(false);
                await connection.Transport.Transport.Output.CompleteAsync().ConfigureAwait(false);
                await connection.Transport.Transport.Input.CompleteAsync().ConfigureAwait(false);
            }

            await connection.Transport.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The socket is already gone.
        }
    }

    // ---- events to workers ----

    /// <summary>The worker this client's events go to: the same one while it accepts, else the next one.</summary>
    /// <summary>
    /// Where this client's next event goes: its worker while that accepts; nowhere yet (hold for handover) while its
    /// worker is draining and still finishing earlier events; else the worker that took it over, or the next one.
    /// Called only from the client's read loop.
    /// </summary>
    private (WorkerLink? Target, WorkerLink? HoldFor) Route(ClientConnection connection)
    {
        WorkerLink? worker = connection.Worker;
        if (worker is { Accepting: true })
        {
            return (worker, null);
        }

        if (worker is { IsDraining: true, HandedOver: false })
        {
            return (null, worker);
        }

        WorkerLink? next = connection.HandoverTarget is { Accepting: true } taken ? taken : _workers.Pick();
        connection.Worker = next;
        connection.SessionSentVersion = -1;
        return (next, null);
    }

    /// <summary>
    /// Sends an event frame to its worker; or holds it behind a draining worker until that one has finished; or, with
    /// no worker at all, holds it until one connects (bounded in count and age). Either way a client's events stay in order.
    /// </summary>
    private void Deliver((WorkerLink? Target, WorkerLink? HoldFor) route, ClientConnection connection, ReadOnlySpan<byte> frame)
    {
        if (route.Target is { } target)
        {
            target.Connection.TrySend(frame);
            return;
        }

        lock (_held)
        {
            if (route.HoldFor is { } draining)
            {
                if (!draining.HandedOver)
                {
                    Queue<(ClientConnection, byte[])> queue = draining.HeldForHandover ??= new();
                    if (queue.Count >= Math.Max(1, _gatewayOptions.HoldEventsWithoutWorker))
                    {
                        GatewayMetrics.EventsDropped.Add(1);
                        return;
                    }

                    queue.Enqueue((connection, frame.ToArray()));
                    return;
                }

                if (Successor(connection) is { } successor)
                {
                    successor.Connection.TrySend(frame);
                    return;
                }
            }

            // Re-check under the lock that publishes new workers: either the worker is visible now, or it will
            // replay this frame before it takes any other event, so a client's events stay in order.
            if (_workers.Pick() is { } late)
            {
                late.Connection.TrySend(frame);
                return;
            }

            if (_held.Count >= _gatewayOptions.HoldEventsWithoutWorker)
            {
                GatewayMetrics.EventsDropped.Add(1);
                return;
            }

            _held.Enqueue((Environment.TickCount64, frame.ToArray()));
            GatewayMetrics.EventsHeld.Add(1);
        }

        if (Interlocked.Exchange(ref _noWorkerWarned, 1) == 0)
        {
            Log.NoWorker(_logger, _gatewayOptions.HoldEventsWithoutWorker, _gatewayOptions.HoldEventsFor.TotalSeconds);
        }
    }

    /// <summary>The worker that takes a client over from a draining one: chosen once (under the hold lock), re-chosen if it left.</summary>
    private WorkerLink? Successor(ClientConnection connection)
    {
        if (connection.HandoverTarget is not { Accepting: true })
        {
            connection.HandoverTarget = _workers.Pick();
        }

        return connection.HandoverTarget;
    }

    /// <summary>A worker's link closed: pass the events held behind it, in order, to the workers that take its clients over.</summary>
    private void HandOver(WorkerLink link)
    {
        lock (_held)
        {
            while (link.HeldForHandover?.TryDequeue(out (ClientConnection Connection, byte[] Frame) held) == true)
            {
                if (Successor(held.Connection) is { } successor)
                {
                    successor.Connection.TrySend(held.Frame);
                }
                else if (_held.Count < _gatewayOptions.HoldEventsWithoutWorker)
                {
                    _held.Enqueue((Environment.TickCount64, held.Frame));
                }
                else
                {
                    GatewayMetrics.EventsDropped.Add(1);
                }
            }

            link.HandedOver = true;
        }
    }

    /// <summary>A worker connected: replay the held events (dropping those older than HoldEventsFor), then let it take new ones.</summary>
    private void AddWorker(WorkerLink link)
    {
        int replayed = 0;
        int expired = 0;
        lock (_held)
        {
            long oldest = Environment.TickCount64 - (long)_gatewayOptions.HoldEventsFor.TotalMilliseconds;
            while (_held.TryDequeue(out (long At, byte[] Frame) held))
            {
                if (held.At < oldest)
                {
                    expired++;
                    continue;
                }

                link.Connection.TrySend(held.Frame);
                replayed++;
            }

            _workers.Add(link);
        }

        Interlocked.Exchange(ref _noWorkerWarned, 0);
        GatewayMetrics.EventsDropped.Add(expired);
        if (replayed + expired > 0)
        {
            Log.HeldEventsReplayed(_logger, replayed, link.Connection.PeerId, expired);
        }
    }

    /// <summary>Hot path: client frame → worker. Builds the event frame in the thread's scratch buffer; allocates nothing.</summary>
    void IClientMessageSink.OnClientMessage(ClientConnection connection, in ReadOnlySequence<byte> payload, bool text)
    {
        GatewayMetrics.MessagesIn.Add(1);
        GatewayMetrics.BytesIn.Add(payload.Length);
        connection.MessagesIn++;
        connection.BytesIn += payload.Length;
        if (connection.Ip is { } ip && Live.Throttle is { TokensPerInterval: > 0 } throttle && !IpTable.TryTake(ip, throttle, Environment.TickCount64))
        {
            Throttle(connection, ip, throttle);
            return;
        }

        (WorkerLink? Target, WorkerLink? HoldFor) route = Route(connection);
        WorkerLink? worker = route.Target;
        SessionState? session = Volatile.Read(ref connection.Session);
        uint version = session?.Version ?? 0;
        var scratch = FrameCodec.BeginFrame();
        var w = new MessagePackWriter(scratch);
        w.WriteArrayHeader(6);
        w.Write((uint)MessageKind.ClientMessage);
        w.Write(connection.Id);
        w.Write(version);
        if (worker is not null && connection.SessionSentVersion == version)
        {
            w.WriteNil();
        }
        else
        {
            // A held event may reach any worker later: it carries the session in full.
            w.Write(session is null ? ReadOnlySpan<byte>.Empty : session.Bytes);
            connection.SessionSentVersion = worker is null ? -1 : version;
        }

        w.Write(payload);
        w.Write(text ? GatewayProtocol.FlagText : 0u);
        w.Flush();
        Deliver(route, connection, FrameCodec.EndFrame(scratch));
    }

    private void SendConnectEvent(ClientConnection connection, ClientHandshake handshake)
    {
        (WorkerLink? Target, WorkerLink? HoldFor) route = Route(connection);
        WorkerLink? worker = route.Target;
        SessionState? session = Volatile.Read(ref connection.Session);
        var scratch = FrameCodec.BeginFrame();
        var w = new MessagePackWriter(scratch);
        w.WriteArrayHeader(13);
        w.Write((uint)MessageKind.ClientConnect);
        w.Write(connection.Id);
        w.Write(connection.Remote?.Address.ToString() ?? "");
        w.Write((uint)(connection.Remote?.Port ?? 0));
        w.Write(connection.Listener.Name);
        w.Write(connection.Listener.Transport);
        w.Write(handshake.Path);
        WriteMap(ref w, handshake.Headers);
        w.Write(handshake.SubProtocol);
        w.Write(session?.Version ?? 0);
        w.Write(session is null ? ReadOnlySpan<byte>.Empty : session.Bytes);
        w.Write(connection.Uid);
        WriteMap(ref w, handshake.Query);
        w.Flush();
        connection.SessionSentVersion = worker is null ? -1 : session?.Version ?? 0;
        Deliver(route, connection, FrameCodec.EndFrame(scratch));

        static void WriteMap(ref MessagePackWriter w, IReadOnlyDictionary<string, string> map)
        {
            if (map.Count == 0)
            {
                w.WriteNil();
                return;
            }

            w.WriteMapHeader(map.Count);
            foreach (KeyValuePair<string, string> entry in map)
            {
                w.Write(entry.Key);
                w.Write(entry.Value);
            }
        }
    }

    private void SendCloseEvent(ClientConnection connection, string? uid, string[] groups)
    {
        (WorkerLink? Target, WorkerLink? HoldFor) route = Route(connection);
        SessionState? session = Volatile.Read(ref connection.Session);
        var scratch = FrameCodec.BeginFrame();
        var w = new MessagePackWriter(scratch);
        w.WriteArrayHeader(5);
        w.Write((uint)MessageKind.ClientClose);
        w.Write(connection.Id);
        w.Write(session is null ? ReadOnlySpan<byte>.Empty : session.Bytes);
        w.Write(uid);
        w.WriteArrayHeader(groups.Length);
        foreach (string group in groups)
        {
            w.Write(group);
        }

        w.Flush();
        Deliver(route, connection, FrameCodec.EndFrame(scratch));
    }

    // ---- messages to clients ----

    /// <summary>
    /// Hot path: queue one message to one client. A full queue closes that client, never slows the caller. Within a
    /// batch of commands from <paramref name="batch"/> the bytes wait in the client's buffer until the batch ends
    /// (<see cref="FlushBatch"/>), so the several messages a batch has for one client leave in one syscall.
    /// </summary>
    private void SendTo(ClientConnection connection, in ReadOnlySequence<byte> payload, bool text, WorkerLink? batch = null)
    {
        Transport.WriteResult result = connection.Listener.Send(connection, payload, text, defer: batch is not null);
        switch (result)
        {
            case Transport.WriteResult.Written or Transport.WriteResult.Queued or Transport.WriteResult.Deferred:
                if (result == Transport.WriteResult.Deferred)
                {
                    batch!.Unflushed.Add(connection); // this batch owes the flush
                }

                GatewayMetrics.MessagesOut.Add(1);
                Interlocked.Increment(ref connection.MessagesOut);
                Interlocked.Add(ref connection.BytesOut, payload.Length);
                return;
            case Transport.WriteResult.Dropped or Transport.WriteResult.QueuedAfterDroppingOldest:
                GatewayMetrics.SlowClientDrops.Add(1);
                if (connection.Writer.TryBeginOverflowEpisode())
                {
                    Log.SlowClientDropping(_logger, connection.ClientId, connection.Remote?.ToString() ?? "?", _gatewayOptions.MaxPendingBytesPerClient, _gatewayOptions.SlowClientPolicy);
                }

                return;
            case Transport.WriteResult.Overflow:
                GatewayMetrics.SlowClientsClosed.Add(1);
                Log.SlowClient(_logger, connection.ClientId, connection.Remote?.ToString() ?? "?", _gatewayOptions.MaxPendingBytesPerClient);
                connection.RequestClose(force: true, "slow consumer: outbound queue full");
                return;
            case Transport.WriteResult.Rejected:
                GatewayMetrics.MessagesRejected.Add(1);
                if (connection.Writer.TryBeginOverflowEpisode())
                {
                    Log.MessageRejected(_logger, payload.Length, connection.ClientId, connection.Listener.Name);
                }

                return;
            default:
                return; // closing: the message has nowhere to go
        }
    }

    /// <summary>The end of a batch of commands from one worker link: send what it left in its clients' buffers.</summary>
    private static void FlushBatch(WorkerLink link)
    {
        List<ClientConnection> unflushed = link.Unflushed;
        int count = unflushed.Count;
        for (int i = 0; i < count; i++)
        {
            unflushed[i].Writer.Flush();
        }

        unflushed.Clear();

        // A list grown by a huge fan-out is kept while such batches keep coming, and trimmed after 1,024 batches in a
        // row that needed less than a quarter of it: a rare one does not pin its memory for ever, a regular one does
        // not reallocate it every time.
        if (unflushed.Capacity <= 4096 || count >= unflushed.Capacity / 4)
        {
            link.SmallBatches = 0;
        }
        else if (++link.SmallBatches > 1024)
        {
            unflushed.Capacity = 4096;
            link.SmallBatches = 0;
        }
    }

    private static Transport.OverflowPolicy PolicyOf(SlowClientPolicy policy) => policy switch
    {
        SlowClientPolicy.DropNewest => Transport.OverflowPolicy.DropNewest,
        SlowClientPolicy.DropOldest => Transport.OverflowPolicy.DropOldest,
        _ => Transport.OverflowPolicy.Fail,
    };

    /// <summary>An IP ran out of throttle tokens: drop the message, close the client, or close every client of the IP.</summary>
    private void Throttle(ClientConnection connection, IpState ip, ThrottleOptions throttle)
    {
        GatewayMetrics.Throttled.Add(1);
        long now = Environment.TickCount64;
        if (now - Volatile.Read(ref ip.LastThrottleLog) > 10_000)
        {
            Volatile.Write(ref ip.LastThrottleLog, now); // one line per IP per 10 s, not per message
            Log.Throttled(_logger, ip.Address.ToString(), throttle.TokensPerInterval, throttle.RefillInterval, throttle.Action);
        }

        switch (throttle.Action)
        {
            case ThrottleAction.Close:
                connection.RequestClose(force: false, "throttled: too many messages", 1008);
                break;
            case ThrottleAction.CloseAllFromIp:
                foreach (KeyValuePair<ulong, ClientConnection> entry in _store.Connections)
                {
                    if (entry.Value.Ip == ip)
                    {
                        entry.Value.RequestClose(force: false, "throttled: too many messages from this IP", 1008);
                    }
                }

                break;
        }
    }

    /// <summary>
    /// One timer for all connections: closes idle clients and clients that missed pings, and sends each listener's pings.
    /// A scan per tick costs O(connections); ticks are a quarter of the shortest configured interval (0.1 to 1 s).
    /// </summary>
    private async Task SuperviseAsync(CancellationToken stopping)
    {
        var intervals = _listeners.SelectMany(l => new[] { l.Options.IdleTimeout, l.Options.PingInterval }).Where(t => t > TimeSpan.Zero).ToList();
        if (intervals.Count == 0)
        {
            return;
        }

        TimeSpan tick = TimeSpan.FromMilliseconds(Math.Clamp(intervals.Min().TotalMilliseconds / 4, 100, 1000));
        var nextPing = _listeners.ToDictionary(l => l, _ => Environment.TickCount64);
        var pingDue = new HashSet<ClientListener>();
        using var timer = new PeriodicTimer(tick);
        try
        {
            while (await timer.WaitForNextTickAsync(stopping).ConfigureAwait(false))
            {
                long now = Environment.TickCount64;
                pingDue.Clear();
                foreach (ClientListener l in _listeners)
                {
                    if (l.Options.PingInterval > TimeSpan.Zero && now >= nextPing[l])
                    {
                        pingDue.Add(l);
                        nextPing[l] = now + (long)l.Options.PingInterval.TotalMilliseconds;
                    }
                }

                foreach (KeyValuePair<ulong, ClientConnection> entry in _store.Connections)
                {
                    ClientConnection c = entry.Value;
                    ListenerOptions o = c.Listener.Options;
                    long silent = now - Volatile.Read(ref c.LastReceived);
                    if (o.IdleTimeout > TimeSpan.Zero && silent > o.IdleTimeout.TotalMilliseconds)
                    {
                        GatewayMetrics.TimedOut.Add(1);
                        Log.ClientTimedOut(_logger, c.ClientId, c.Remote?.ToString() ?? "?", $"nothing received for {silent / 1000.0:0.#} s (IdleTimeout)");
                        c.RequestClose(force: false, "idle timeout", 1001);
                    }
                    else if (o.PingInterval > TimeSpan.Zero && silent > o.PingInterval.TotalMilliseconds * Math.Max(1, o.MaxMissedPings))
                    {
                        GatewayMetrics.TimedOut.Add(1);
                        Log.ClientTimedOut(_logger, c.ClientId, c.Remote?.ToString() ?? "?", $"nothing received for {silent / 1000.0:0.#} s ({o.MaxMissedPings} pings missed)");
                        c.RequestClose(force: false, "missed pings", 1001);
                    }
                    else if (pingDue.Contains(c.Listener) && !c.IsClosing)
                    {
                        c.Listener.SendPing(c);
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
