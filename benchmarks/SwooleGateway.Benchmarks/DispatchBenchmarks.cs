using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using BenchmarkDotNet.Attributes;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging.Abstractions;
using SwooleGateway.Gateway;
using SwooleGateway.Gateway.Clients;
using SwooleGateway.Gateway.Routing;
using SwooleGateway.Options;
using SwooleGateway.Protocol;
using SwooleGateway.Protocol.Messages;
using SwooleGateway.Transport;
using SwooleGateway.Worker;
using SwooleGateway.Worker.Execution;

namespace SwooleGateway.Benchmarks;

/// <summary>
/// The event path per event, both ends, over real internal links on in-memory pipes. Worker: an event frame as its
/// link's read loop gets it → parsed, queued for its client, run as the read's batch once the loop waits, the handler answers
/// (<c>SendToClient</c>), the event is acknowledged and the answer and acknowledgement are flushed. Gateway: a client
/// message → routed to its worker (numbered, kept until acknowledged, written to the link) → acknowledged (forgotten).
/// Steady state must allocate 0 B per event.
/// </summary>
[MemoryDiagnoser]
public class DispatchBenchmarks
{
    /// <summary>Events per call of either benchmark (for callers that time a loop of them).</summary>
    public const int EventsPerInvoke = Batch;

    private const int Batch = 64;
    private const int Clients = 16;
    private static readonly IPEndPoint Gateway = new(IPAddress.Parse("10.0.0.7"), 2900);

    private readonly byte[][] _events = new byte[Batch][];
    private readonly CancellationTokenSource _stop = new();
    private GatewayLink _link = null!;
    private EchoingHandler _handler = null!;
    private HandlerScheduler _scheduler = null!;
    private long _expected;

    private EventRouter _router = null!;
    private ClientConnection[] _clients = [];
    private WorkerLink _workerLink = null!;
    private ulong[] _ackRanges = [];
    private readonly ReadOnlySequence<byte> _payload = new(new byte[64]);

    [GlobalSetup]
    public void Setup()
    {
        // Worker side: a GatewayLink whose far end (the "gateway") reads and discards what the worker writes.
        (InternalConnection worker, InternalConnection gateway) = LinkPair();
        _ = gateway.RunAsync(new Discard(), _stop.Token);
        var options = new WorkerOptions();
        _handler = new EchoingHandler();
        _scheduler = new HandlerScheduler(_handler, options, NullLogger.Instance, _ => ValueTask.CompletedTask, new WorkerMetrics(null));
        var directory = new GatewayDirectory(new SocketTransport(), new SwooleGatewayOptions(), NullLogger.Instance, "worker", "bench", _scheduler);
        _link = new GatewayLink(worker, Gateway, ClientId.GatewayKey(Gateway), _scheduler);
        directory.Attach(_link);
        _handler.Gateway = new GatewayApi(directory, options);
        for (int i = 0; i < Batch; i++)
        {
            var header = new EventHeader((ulong)i + 1, (ulong)(1000 + (i % Clients)), EventFlags.Text);
            _events[i] = Frame.Write(new ClientMessageFrame(header, 0, null, _payload)).ToArray();
        }

        // Gateway side: a router with one worker whose far end (the "worker") discards what the gateway sends.
        (InternalConnection toWorker, InternalConnection workerEnd) = LinkPair();
        _ = workerEnd.RunAsync(new Discard(), _stop.Token);
        var gatewayOptions = new GatewayOptions();
        _router = new EventRouter(gatewayOptions, new ClientStore(), new RoundRobinRouter(), new GatewayMetrics(null), NullLogger.Instance);
        _workerLink = new WorkerLink(toWorker, receivesEvents: true, gatewayOptions.MaxUnackedEventsPerWorker, gatewayOptions.MaxUnackedBytesPerWorker);
        _router.WorkerConnected(_workerLink);
        var listener = new TcpFramedListener(new ListenerOptions { Name = "tcp", Protocol = ListenerProtocol.Tcp }, gatewayOptions,
            () => new Gateway.Framing.DelimiterFramer("\n"u8.ToArray()), statelessFramer: true);
        _clients = [.. Enumerable.Range(0, Clients).Select(i => new ClientConnection((ulong)(1000 + i), Gateway, Transport(), listener, 1 << 20))];
        _ackRanges = [1, 0];
    }

    [GlobalCleanup]
    public void Cleanup() => _stop.Cancel();

    /// <summary>Worker: 64 events of 16 clients, as one read of the link delivers them, until every handler has answered.</summary>
    [Benchmark(OperationsPerInvoke = Batch)]
    public long Worker_event_to_handler_answer_and_ack()
    {
        IFrameHandler reader = _link;
        foreach (byte[] frame in _events)
        {
            FieldReader fields = Frame.Open(new ReadOnlySequence<byte>(frame, 4, frame.Length - 4));
            reader.OnFrame(_link.Connection, ref fields);
        }

        reader.OnBatchEnd(_link.Connection); // the end of the read
        reader.OnIdle(_link.Connection); // the loop's next read is pending: the reading thread runs the batch's handlers

        _expected += Batch;
        var spin = default(SpinWait);
        while (Volatile.Read(ref _handler.Handled) < _expected || _scheduler.Active > 0)
        {
            spin.SpinOnce();
        }

        return _expected;
    }

    /// <summary>Gateway: 64 client messages routed to their worker, then acknowledged by it in one range.</summary>
    [Benchmark(OperationsPerInvoke = Batch)]
    public ulong Gateway_message_to_worker_and_ack()
    {
        for (int i = 0; i < Batch; i++)
        {
            _router.OnMessage(_clients[i % Clients], _payload, text: true);
        }

        ulong last = _workerLink.EventsSent;
        _ackRanges[0] = last - Batch + 1;
        _ackRanges[1] = last;
        _router.Acknowledge(_workerLink, new ULongList(_ackRanges));
        return last;
    }

    /// <summary>
    /// The far ends consume what is written at once, on the writer's thread, as a socket's kernel buffer would: a far end
    /// read on the thread pool lags behind, lets segments pile up and measures the pipe's pools instead of the path.
    /// </summary>
    private static readonly PipeOptions InlineReader = new(readerScheduler: PipeScheduler.Inline, writerScheduler: PipeScheduler.Inline,
        pauseWriterThreshold: 0, useSynchronizationContext: false);

    private static (InternalConnection Client, InternalConnection Server) LinkPair()
    {
        var toServer = new Pipe(InlineReader);
        var toClient = new Pipe(InlineReader);
        var server = new DefaultConnectionContext("server", new DuplexPipe(toServer.Reader, toClient.Writer), new DuplexPipe(toClient.Reader, toServer.Writer));
        var client = new DefaultConnectionContext("client", new DuplexPipe(toClient.Reader, toServer.Writer), new DuplexPipe(toServer.Reader, toClient.Writer));
        var options = new SwooleGatewayOptions { Secret = "bench" };
        Task<InternalConnection?> accepting = InternalConnection.AcceptAsync(server, "gateway", "bench-gateway", _ => true, options, NullLogger.Instance, CancellationToken.None);
        InternalConnection connected = InternalConnection.HandshakeAsClientAsync(client, "memory", "worker", "bench-worker", options, NullLogger.Instance, CancellationToken.None).GetAwaiter().GetResult();
        return (connected, accepting.GetAwaiter().GetResult()!);
    }

    private static DefaultConnectionContext Transport()
    {
        var pipe = new Pipe(InlineReader);
        _ = Drain(pipe.Reader);
        return new DefaultConnectionContext("client", new DuplexPipe(new Pipe().Reader, pipe.Writer), new DuplexPipe(pipe.Reader, new Pipe().Writer));
    }

    private static async Task Drain(PipeReader reader)
    {
        while (true)
        {
            ReadResult result = await reader.ReadAsync();
            reader.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
            {
                return;
            }
        }
    }

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }

    private sealed class Discard : IFrameHandler
    {
        public void OnFrame(InternalConnection connection, ref FieldReader frame) => frame.SkipRest();
    }

    /// <summary>The Echo sample's hot command: the payload back to its sender.</summary>
    private sealed class EchoingHandler : GatewayEventHandler
    {
        public long Handled;

        public override ValueTask OnMessage(string clientId, IReadOnlyDictionary<string, object?>? session, ReadOnlyMemory<byte> payload)
        {
            ValueTask sent = Gateway.SendToClient(clientId, payload);
            Interlocked.Increment(ref Handled);
            return sent;
        }
    }
}
