using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using MessagePack;
using SwooleGateway.Protocol;
using SwooleGateway.Protocol.Messages;

namespace SwooleGateway.Worker;

/// <summary>Receives client events from a gateway link (worker role only).</summary>
internal interface IEventSink
{
    void OnEvent(GatewayLink link, ref FieldReader frame);
}

/// <summary>
/// The worker side of one gateway link: sends commands, matches replies to waiting calls by request id
/// (one connection multiplexes any number of calls), and passes client events to the worker's dispatcher.
/// Reader of Reply and control frames; writer of Command frames (message types in SwooleGateway.Protocol).
/// </summary>
internal sealed class GatewayLink : IFrameHandler
{
    private readonly ConcurrentDictionary<uint, IPendingCall> _pending = new();
    private readonly IEventSink? _events;
    private uint _nextRequestId;

    public GatewayLink(InternalConnection connection, IPEndPoint advertised, string key, IEventSink? events)
    {
        Connection = connection;
        Advertised = advertised;
        Key = key;
        _events = events;
    }

    public InternalConnection Connection { get; }

    /// <summary>The gateway's advertised internal address (the one in its client ids).</summary>
    public IPEndPoint Advertised { get; }

    /// <summary>Gateway key: the prefix of this gateway's client ids.</summary>
    public string Key { get; }

    /// <summary>Per-client state of the events this worker receives from this gateway (read loop only).</summary>
    public Dictionary<ulong, ClientState> Clients { get; } = [];

    /// <summary>Completes when the gateway confirmed it routes no new events to this worker (after WorkerDraining).</summary>
    public TaskCompletionSource Drained { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Environment.TickCount64 of the last client event received on this link.</summary>
    public long LastEventAt;

    /// <summary>True when the gateway said it is shutting down on purpose before its link closed.</summary>
    public bool LeftGracefully { get; private set; }

    private uint NextRequestId()
    {
        uint id;
        do
        {
            id = Interlocked.Increment(ref _nextRequestId);
        }
        while (id == 0);
        return id;
    }

    /// <summary>Sends a command that wants no reply (request id 0); throws when the link cannot take it.</summary>
    public void Send<TCommand, TResult>(in TCommand command)
        where TCommand : struct, ICommand<TCommand, TResult>
        where TResult : struct, IWireFields<TResult>
    {
        if (!Connection.TrySendSoon(Frame.WriteCommand<TCommand, TResult>(0, command)))
        {
            throw new GatewayUnavailableException($"The link to gateway {Advertised} is closed.");
        }
    }

    /// <summary>Sends a command with a fresh request id and awaits its reply (at most <paramref name="timeout"/>).</summary>
    public Task<TResult> CallAsync<TCommand, TResult>(in TCommand command, TimeSpan timeout, CancellationToken cancellationToken)
        where TCommand : struct, ICommand<TCommand, TResult>
        where TResult : struct, IWireFields<TResult>
    {
        uint requestId = NextRequestId();
        var call = new PendingCall<TResult>();
        _pending[requestId] = call;
        if (!Connection.TrySend(Frame.WriteCommand<TCommand, TResult>(requestId, command)))
        {
            _pending.TryRemove(requestId, out _);
            return Task.FromException<TResult>(new GatewayUnavailableException($"The link to gateway {Advertised} is closed."));
        }

        return WaitAsync(requestId, call, timeout, cancellationToken);
    }

    private async Task<T> WaitAsync<T>(uint requestId, PendingCall<T> call, TimeSpan timeout, CancellationToken cancellationToken)
        where T : struct, IWireFields<T>
    {
        try
        {
            return await call.Task.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"Gateway {Advertised} did not answer within {timeout.TotalSeconds:0.###} s.");
        }
        finally
        {
            _pending.TryRemove(requestId, out _);
        }
    }

    /// <summary>Fails every waiting call; called when the link closes.</summary>
    public void FailAll()
    {
        foreach (KeyValuePair<uint, IPendingCall> entry in _pending)
        {
            if (_pending.TryRemove(entry.Key, out IPendingCall? call))
            {
                call.Fail(new GatewayUnavailableException($"The link to gateway {Advertised} closed before it answered."));
            }
        }
    }

    void IFrameHandler.OnFrame(InternalConnection connection, ref FieldReader frame)
    {
        switch (frame.Kind)
        {
            case MessageKind.Reply:
            {
                (uint id, ReplyStatus status) = Frame.ReadReplyHeader(ref frame);
                if (_pending.TryRemove(id, out IPendingCall? call))
                {
                    call.Complete(status, ref frame, Advertised);
                }

                frame.SkipRest(); // also when the caller gave up (timeout)
                return;
            }

            case MessageKind.DrainAck:
                Frame.Read<DrainAckFrame>(ref frame);
                Drained.TrySetResult();
                return;

            case MessageKind.GatewayLeaving:
                Frame.Read<GatewayLeavingFrame>(ref frame);
                LeftGracefully = true;
                return;

            case MessageKind.ClientConnect or MessageKind.ClientMessage or MessageKind.ClientClose when _events is not null:
                Volatile.Write(ref LastEventAt, Environment.TickCount64);
                _events.OnEvent(this, ref frame);
                return;

            default:
                ThrowHelper.Protocol($"unexpected {frame.Kind} from a gateway");
                return;
        }
    }

    private interface IPendingCall
    {
        void Complete(ReplyStatus status, ref FieldReader result, IPEndPoint gateway);

        void Fail(Exception exception);
    }

    /// <summary>A call waiting for its reply; the result is read (and copied out of the frame) on the link's read loop.</summary>
    private sealed class PendingCall<T>() : TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously), IPendingCall
        where T : struct, IWireFields<T>
    {
        public void Complete(ReplyStatus status, ref FieldReader result, IPEndPoint gateway)
        {
            if (status != ReplyStatus.Ok)
            {
                TrySetException(new InvalidOperationException($"Gateway {gateway} refused the command: {status}."));
                return;
            }

            try
            {
                TrySetResult(T.Read(ref result));
            }
            catch (Exception ex) when (ex is MessagePackSerializationException or EndOfStreamException or ProtocolErrorException)
            {
                TrySetException(new InvalidOperationException($"Gateway {gateway} sent a malformed reply: {ex.Message}", ex));
            }
        }

        public void Fail(Exception exception) => TrySetException(exception);
    }
}

/// <summary>What a worker remembers about a client whose events it receives from one gateway.</summary>
internal sealed class ClientState(string clientId)
{
    public string ClientId { get; } = clientId;

    public uint SessionVersion { get; set; }

    public IReadOnlyDictionary<string, object?>? Session { get; set; }

    // Per-client ordering (guarded by lock(this)).
    public bool Busy { get; set; }

    public Queue<PendingEvent>? Backlog { get; set; }
}

/// <summary>An event waiting behind a slow handler of the same client.</summary>
internal sealed class PendingEvent
{
    public required MessageKind Kind { get; init; }

    public IReadOnlyDictionary<string, object?>? Session { get; init; }

    public byte[]? Payload { get; init; }

    public int Length { get; init; }

    public ConnectInfo? Connect { get; init; }

    public CloseInfo? Close { get; init; }
}
