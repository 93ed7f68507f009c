using System.Buffers;
using MessagePack;
using Microsoft.Extensions.Logging;
using SwooleGateway.Protocol;
using SwooleGateway.Protocol.Messages;

namespace SwooleGateway.Worker;

/// <summary>
/// Reader of event frames (<see cref="ClientConnectFrame"/>, <see cref="ClientMessageFrame"/>, <see cref="ClientCloseFrame"/>) and the worker's scheduler:
/// events of one client run in order, one at a time; a handler that completes synchronously costs no
/// allocation; one that awaits holds back only its own client's later events.
/// </summary>
internal sealed partial class EventDispatcher : IEventSink
{
    private static readonly MessagePackSerializerOptions s_sessionOptions =
        MessagePackSerializerOptions.Standard.WithSecurity(MessagePackSecurity.UntrustedData);

    private readonly GatewayEventHandler _handler;
    private readonly ILogger _logger;
    private int _inFlight;

    public EventDispatcher(GatewayEventHandler handler, ILogger logger)
    {
        _handler = handler;
        _logger = logger;
    }

    /// <summary>Handlers currently running or queued, per client.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>Waits until no handler runs (bounded by the token).</summary>
    public async Task WaitIdleAsync(CancellationToken cancellationToken)
    {
        while (Volatile.Read(ref _inFlight) > 0)
        {
            await Task.Delay(20, cancellationToken).ConfigureAwait(false);
        }
    }

    public void OnEvent(GatewayLink link, ref FieldReader frame)
    {
        switch (frame.Kind)
        {
            case MessageKind.ClientConnect:
            {
                ClientConnectFrame e = Frame.Read<ClientConnectFrame>(ref frame);
                ClientState state = GetState(link, e.ConnectionId);
                state.Session = DecodeSession(e.Session);
                state.SessionVersion = e.SessionVersion;
                var info = new ConnectInfo
                {
                    RemoteAddress = e.RemoteAddress, RemotePort = (int)e.RemotePort, Listener = e.Listener, Transport = e.Transport, Path = e.Path,
                    Headers = e.Headers!, Query = e.Query!, SubProtocol = e.SubProtocol, Uid = e.Uid, Session = state.Session,
                };
                Run(state, MessageKind.ClientConnect, null, null, 0, info, null);
                return;
            }

            case MessageKind.ClientMessage:
            {
                ClientMessageFrame e = Frame.Read<ClientMessageFrame>(ref frame);
                ClientState state = GetState(link, e.ConnectionId);
                if (e.Session is { } session)
                {
                    state.Session = DecodeSession(session);
                    state.SessionVersion = e.SessionVersion;
                }

                int length = (int)e.Payload.Length;
                byte[] buffer = ArrayPool<byte>.Shared.Rent(Math.Max(length, 1));
                e.Payload.CopyTo(buffer);
                Run(state, MessageKind.ClientMessage, state.Session, buffer, length, null, null);
                return;
            }

            case MessageKind.ClientClose:
            {
                ClientCloseFrame e = Frame.Read<ClientCloseFrame>(ref frame);
                ClientState state = GetState(link, e.ConnectionId);
                link.Clients.Remove(e.ConnectionId);
                var info = new CloseInfo { Session = DecodeSession(e.Session), Uid = e.Uid, Groups = e.Groups.ToArray() };
                Run(state, MessageKind.ClientClose, null, null, 0, null, info);
                return;
            }
        }
    }

    private static ClientState GetState(GatewayLink link, ulong connectionId)
    {
        if (!link.Clients.TryGetValue(connectionId, out ClientState? state))
        {
            state = new ClientState(ClientId.Encode(link.Advertised, connectionId));
            link.Clients[connectionId] = state;
        }

        return state;
    }

    private static IReadOnlyDictionary<string, object?>? DecodeSession(ReadOnlySequence<byte> bytes) =>
        bytes.IsEmpty ? null : MessagePackSerializer.Deserialize<Dictionary<string, object?>>(bytes, s_sessionOptions);

    private void Run(ClientState state, MessageKind kind, IReadOnlyDictionary<string, object?>? session, byte[]? payload, int length, ConnectInfo? connect, CloseInfo? close)
    {
        lock (state)
        {
            if (state.Busy)
            {
                (state.Backlog ??= new Queue<PendingEvent>()).Enqueue(new PendingEvent
                {
                    Kind = kind, Session = session, Payload = payload, Length = length, Connect = connect, Close = close,
                });
                return;
            }

            state.Busy = true;
        }

        Interlocked.Increment(ref _inFlight);
        ValueTask pending = Invoke(state, kind, session, payload, length, connect, close);
        if (pending.IsCompleted)
        {
            Observe(pending, state);
            Release(payload);
            lock (state)
            {
                if (state.Backlog is not { Count: > 0 })
                {
                    state.Busy = false;
                    Interlocked.Decrement(ref _inFlight);
                    return;
                }
            }

            _ = DrainAsync(state, default, null);
            return;
        }

        _ = DrainAsync(state, pending, payload);
    }

    /// <summary>Slow path: awaits a pending handler, then runs the client's queued events in order.</summary>
    private async Task DrainAsync(ClientState state, ValueTask pending, byte[]? payload)
    {
        try
        {
            await pending.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            Log.HandlerFailed(_logger, state.ClientId, ex);
        }
        finally
        {
            Release(payload);
        }

        while (true)
        {
            PendingEvent next;
            lock (state)
            {
                if (state.Backlog is not { Count: > 0 })
                {
                    state.Busy = false;
                    Interlocked.Decrement(ref _inFlight);
                    return;
                }

                next = state.Backlog.Dequeue();
            }

            try
            {
                await Invoke(state, next.Kind, next.Session, next.Payload, next.Length, next.Connect, next.Close).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                Log.HandlerFailed(_logger, state.ClientId, ex);
            }
            finally
            {
                Release(next.Payload);
            }
        }
    }

    private ValueTask Invoke(ClientState state, MessageKind kind, IReadOnlyDictionary<string, object?>? session, byte[]? payload, int length, ConnectInfo? connect, CloseInfo? close)
    {
        try
        {
            return kind switch
            {
                MessageKind.ClientMessage => _handler.OnMessage(state.ClientId, session, payload.AsMemory(0, length)),
                MessageKind.ClientConnect => _handler.OnConnect(state.ClientId, connect!),
                _ => _handler.OnClose(state.ClientId, close!),
            };
        }
        catch (Exception ex)
        {
            return ValueTask.FromException(ex);
        }
    }

    private void Observe(ValueTask completed, ClientState state)
    {
        try
        {
            completed.GetAwaiter().GetResult();
        }
        catch (Exception ex)
        {
            Log.HandlerFailed(_logger, state.ClientId, ex);
        }
    }

    private static void Release(byte[]? payload)
    {
        if (payload is not null)
        {
            ArrayPool<byte>.Shared.Return(payload);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(4101, LogLevel.Error, "Event handler failed for client {ClientId}", EventName = "HandlerFailed")]
        public static partial void HandlerFailed(ILogger logger, string clientId, Exception exception);
    }
}
