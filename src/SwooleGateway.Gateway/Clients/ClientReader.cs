using System.Buffers;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;
using SwooleGateway.Gateway.Routing;
using SwooleGateway.Hosting;

namespace SwooleGateway.Gateway.Clients;

/// <summary>
/// The client read loop: for each connection the <see cref="ClientAcceptor"/> lets in, reads what the client sends,
/// cuts it into messages with the listener's framing and hands each to the <see cref="EventRouter"/>; when the client
/// goes, takes it out of the tables and announces its close. One async method per connection, for its whole life.
/// </summary>
internal sealed partial class ClientReader : IClientMessageSink
{
    private readonly GatewayMetrics _metrics;
    private readonly ClientAcceptor _acceptor;
    private readonly ClientStore _store;
    private readonly ClientThrottle _throttle;
    private readonly EventRouter _router;
    private readonly ILogger _logger;
    private readonly Action<ClientConnection, ClientHandshake, string?> _opened;

    public ClientReader(ClientAcceptor acceptor, ClientStore store, ClientThrottle throttle, EventRouter router, GatewayMetrics metrics, ILogger logger)
    {
        _metrics = metrics;
        _acceptor = acceptor;
        _store = store;
        _throttle = throttle;
        _router = router;
        _logger = logger;
        _opened = router.OnConnected;
    }

    /// <summary>
    /// Serves one client connection until it closes, then calls <paramref name="done"/> (the accept loop's count of open
    /// connections). Started by the accept loop and not awaited by anyone: this method's state machine is the only one
    /// a connection keeps, and it never throws.
    /// </summary>
    public async Task RunAsync(ConnectionContext transport, ClientListener listener, Action done)
    {
        ClientConnection? connection = null;
        var state = default(ClientReadState);
        try
        {
            await Task.Yield(); // off the accept loop: the next client is accepted while this one does its TLS and handshake
            connection = await _acceptor.AcceptAsync(transport, listener, _opened).ConfigureAwait(false);
            if (connection is null)
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

                    parsed = listener.Parse(connection, ref state, ref buffer, this);
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
                    _metrics.ClientErrors.Add(1);
                    Log.ClientError(_logger, connection.ClientId, connection.Remote?.ToString() ?? "?", listener.Name, parsed.Reason ?? "protocol error");
                    connection.RequestClose(force: false, parsed.Reason ?? "protocol error", parsed.CloseCode);
                    return;
                }

                if (result.IsCompleted || result.IsCanceled)
                {
                    return;
                }

                if (_router.WaitForRoom(connection) is { } room)
                {
                    await PauseAsync(connection, room).ConfigureAwait(false);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or ConnectionResetException or ConnectionAbortedException or ObjectDisposedException or OperationCanceledException)
        {
            // An ordinary disconnect: not an error.
        }
        catch (Exception ex)
        {
            Log.ClientFailed(_logger, ex, connection?.ClientId ?? "(not open)", transport.RemoteEndPoint?.ToString() ?? "?");
            if (connection is null)
            {
                await AcceptLoop.DisposeQuietlyAsync(transport).ConfigureAwait(false);
            }
        }
        finally
        {
            try
            {
                if (connection is not null)
                {
                    state.Release();
                    _acceptor.Release(connection); // before the connection leaves the tables: whoever sees it gone may connect again at once
                    try
                    {
                        (string? uid, string[] groups) = _store.Remove(connection);
                        _router.OnClosed(connection, uid, groups);
                        Log.ClientClosed(_logger, connection.ClientId, connection.CloseReason ?? "client went away");
                    }
                    finally
                    {
                        try
                        {
                            await connection.TearDownAsync().ConfigureAwait(false);
                        }
                        finally
                        {
                            _acceptor.Closed(); // its descriptor is free: another client may take its place
                        }
                    }
                }
            }
            catch (Exception ex)
            {
                Log.ClientFailed(_logger, ex, connection!.ClientId, transport.RemoteEndPoint?.ToString() ?? "?");
            }
            finally
            {
                done();
            }
        }
    }

    /// <summary>Backpressure: reads no more from this client until its worker has room (or the client is closing).</summary>
    private static async Task PauseAsync(ClientConnection connection, Task room)
    {
        while (!room.IsCompleted && !connection.IsClosing)
        {
            try
            {
                await room.WaitAsync(TimeSpan.FromMilliseconds(250)).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
            }
        }
    }

    /// <summary>Hot path: one complete client message (valid only during the call) → counters, throttle, router.</summary>
    void IClientMessageSink.OnClientMessage(ClientConnection connection, in ReadOnlySequence<byte> payload, bool text)
    {
        _metrics.MessagesIn.Add(1);
        _metrics.BytesIn.Add(payload.Length);
        connection.MessagesIn++;
        connection.BytesIn += payload.Length;
        if (_throttle.Allow(connection))
        {
            _router.OnMessage(connection, payload, text);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(3007, LogLevel.Warning, "Closing client {ClientId} from {Remote} on {Listener}: {Reason}", EventName = "ClientProtocolError")]
        public static partial void ClientError(ILogger logger, string clientId, string remote, string listener, string reason);

        [LoggerMessage(3031, LogLevel.Error, "Client {ClientId} from {Remote} failed; its connection is closed", EventName = "ClientFailed")]
        public static partial void ClientFailed(ILogger logger, Exception exception, string clientId, string remote);

        [LoggerMessage(3010, LogLevel.Debug, "Client {ClientId} closed: {Reason}", EventName = "ClientClosed")]
        public static partial void ClientClosed(ILogger logger, string clientId, string reason);
    }
}
