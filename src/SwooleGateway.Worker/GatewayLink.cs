using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using MessagePack;
using SwooleGateway.Protocol;

namespace SwooleGateway.Worker;

/// <summary>Parses a reply's result items; runs on the link's read loop.</summary>
internal delegate T ReplyParser<T>(ref MessagePackReader reader, int resultCount);

/// <summary>Receives client events from a gateway link (worker role only).</summary>
internal interface IEventSink
{
    void OnEvent(GatewayLink link, MessageKind kind, int fieldCount, ref MessagePackReader reader);
}

/// <summary>
/// The worker side of one gateway link: sends commands, matches replies to waiting calls by request id
/// (one connection multiplexes any number of calls), and passes client events to the worker's dispatcher.
/// Reader of Reply and event frames; writer of Command frames (wire format: <see cref="GatewayProtocol"/>).
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

    public uint NextRequestId()
    {
        uint id;
        do
        {
            id = Interlocked.Increment(ref _nextRequestId);
        }
        while (id == 0);
        return id;
    }

    /// <summary>Sends a fire-and-forget frame; throws when the link cannot take it.</summary>
    public void Send(ReadOnlySpan<byte> frame)
    {
        if (!Connection.TrySendSoon(frame))
        {
            throw new GatewayUnavailableException($"The link to gateway {Advertised} is closed.");
        }
    }

    /// <summary>Registers a call, sends its frame (built with <paramref name="requestId"/>) and awaits the reply.</summary>
    public Task<T> CallAsync<T>(uint requestId, ReadOnlySpan<byte> frame, ReplyParser<T> parser, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var call = new PendingCall<T>(parser);
        _pending[requestId] = call;
        if (!Connection.TrySend(frame))
        {
            _pending.TryRemove(requestId, out _);
            return Task.FromException<T>(new GatewayUnavailableException($"The link to gateway {Advertised} is closed."));
        }

        return WaitAsync(requestId, call, timeout, cancellationToken);
    }

    private async Task<T> WaitAsync<T>(uint requestId, PendingCall<T> call, TimeSpan timeout, CancellationToken cancellationToken)
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

    void IFrameHandler.OnFrame(InternalConnection connection, MessageKind kind, int fieldCount, ref MessagePackReader reader)
    {
        switch (kind)
        {
            case MessageKind.Reply:
            {
                if (fieldCount < 2)
                {
                    ThrowHelper.Protocol("Reply needs a request id and a status");
                }

                uint id = reader.ReadUInt32();
                var status = (ReplyStatus)reader.ReadUInt32();
                if (_pending.TryRemove(id, out IPendingCall? call))
                {
                    call.Complete(status, ref reader, fieldCount - 2, Advertised);
                }
                else
                {
                    RegisterProtocol.SkipRest(ref reader, fieldCount - 2); // the caller gave up (timeout)
                }

                return;
            }

            case MessageKind.DrainAck:
                Drained.TrySetResult();
                RegisterProtocol.SkipRest(ref reader, fieldCount);
                return;

            case MessageKind.GatewayLeaving:
                LeftGracefully = true;
                RegisterProtocol.SkipRest(ref reader, fieldCount);
                return;

            case MessageKind.ClientConnect or MessageKind.ClientMessage or MessageKind.ClientClose when _events is not null:
                Volatile.Write(ref LastEventAt, Environment.TickCount64);
                _events.OnEvent(this, kind, fieldCount, ref reader);
                return;

            default:
                ThrowHelper.Protocol($"unexpected {kind} from a gateway");
                return;
        }
    }

    private interface IPendingCall
    {
        void Complete(ReplyStatus status, ref MessagePackReader reader, int resultCount, IPEndPoint gateway);

        void Fail(Exception exception);
    }

    private sealed class PendingCall<T>(ReplyParser<T> parser) : TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously), IPendingCall
    {
        public void Complete(ReplyStatus status, ref MessagePackReader reader, int resultCount, IPEndPoint gateway)
        {
            if (status != ReplyStatus.Ok)
            {
                RegisterProtocol.SkipRest(ref reader, resultCount);
                TrySetException(new InvalidOperationException($"Gateway {gateway} refused the command: {status}."));
                return;
            }

            try
            {
                TrySetResult(parser(ref reader, resultCount));
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
