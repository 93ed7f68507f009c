using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using MessagePack;
using SwooleGateway.Protocol;
using SwooleGateway.Protocol.Messages;
using SwooleGateway.Worker.Execution;

namespace SwooleGateway.Worker;

/// <summary>
/// The worker side of one gateway link: sends commands, matches replies to waiting calls by request id
/// (one connection multiplexes any number of calls), and passes client events to its <see cref="LinkEvents"/>, whose
/// handlers' completions go back as acknowledgements.
/// Reader of Reply and control frames; writer of Command frames (message types in SwooleGateway.Protocol).
/// </summary>
internal sealed class GatewayLink : IFrameHandler
{
    private readonly ConcurrentDictionary<uint, IPendingCall> _pending = new();
    private readonly LinkEvents? _events; // the read loop's (worker role only)
    private readonly Acknowledger? _acks;
    private uint _nextRequestId;

    public GatewayLink(InternalConnection connection, IPEndPoint advertised, string key, HandlerScheduler? scheduler)
    {
        Connection = connection;
        Advertised = advertised;
        Key = key;
        if (scheduler is not null)
        {
            _acks = new Acknowledger(connection);
            _events = new LinkEvents(advertised, _acks, scheduler);
        }
    }

    public InternalConnection Connection { get; }

    /// <summary>Client events received on this link.</summary>
    public long EventsReceived => _events is null ? 0 : Volatile.Read(ref _events.Received);

    /// <summary>Events received whose handlers have not completed yet (queued or running).</summary>
    public long QueueDepth => _events is null ? 0 : Math.Max(0, Volatile.Read(ref _events.Received) - _acks!.Completed);

    /// <summary>The gateway's advertised internal address (the one in its client ids).</summary>
    public IPEndPoint Advertised { get; }

    /// <summary>Gateway key: the prefix of this gateway's client ids.</summary>
    public string Key { get; }

    /// <summary>Completes when the gateway confirmed it routes no new events to this worker (after WorkerDraining).</summary>
    public TaskCompletionSource Drained { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>
    /// True once the gateway said it is shutting down on purpose (a rolling deploy): from then on it is no longer a target
    /// of cluster-wide queries (its clients are being closed), and its link closing is not a failure.
    /// </summary>
    public bool LeftGracefully => Volatile.Read(ref _leftGracefully);

    private bool _leftGracefully;

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

    /// <summary>Clients of this gateway whose events this worker receives (for tests and diagnostics; read loop's count).</summary>
    public int ClientCount => _events?.ClientCount ?? 0;

    /// <summary>Sends the acknowledgements of every handler completed so far, now (a draining worker, before it closes).</summary>
    public void FlushAcknowledgements() => _acks?.FlushNow();

    /// <summary>
    /// The link closed (its read loop has ended): waiting calls fail, and the events queued for its clients are dropped,
    /// because the gateway sends every event it has not seen acknowledged to the worker that takes the client over.
    /// </summary>
    public void Close()
    {
        FailAll();
        _events?.Abandon();
        Drained.TrySetResult(); // a closed link routes nothing more: a draining worker need not wait for it
    }

    /// <summary>Fails every waiting call.</summary>
    private void FailAll()
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
                Volatile.Write(ref _leftGracefully, true);
                return;

            case MessageKind.ClientConnect or MessageKind.ClientMessage or MessageKind.ClientClose when _events is not null:
                _events.OnEvent(ref frame);
                return;

            default:
                ThrowHelper.Protocol($"unexpected {frame.Kind} from a gateway");
                return;
        }
    }

    void IFrameHandler.OnBatchEnd(InternalConnection connection) => _events?.EndOfRead();

    void IFrameHandler.OnIdle(InternalConnection connection) => _events?.OnIdle();

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
                TrySetException(GatewayCommandException.FromStatus(gateway.ToString(), status));
                return;
            }

            try
            {
                TrySetResult(T.Read(ref result));
            }
            catch (Exception ex) when (ex is MessagePackSerializationException or EndOfStreamException or ProtocolErrorException)
            {
                TrySetException(new GatewayCommandException(gateway.ToString(), GatewayRefusal.MalformedReply, $"Gateway {gateway} sent a malformed reply: {ex.Message}", ex));
            }
        }

        public void Fail(Exception exception) => TrySetException(exception);
    }
}
