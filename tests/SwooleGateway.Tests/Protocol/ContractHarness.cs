using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging.Abstractions;
using SwooleGateway.Gateway;
using SwooleGateway.Gateway.Clients;
using SwooleGateway.Gateway.Commands;
using SwooleGateway.Gateway.Routing;
using SwooleGateway.Options;
using SwooleGateway.Protocol;
using SwooleGateway.Tests.Infrastructure;
using SwooleGateway.Transport;
using SwooleGateway.Worker;

namespace SwooleGateway.Tests.Protocol;

/// <summary>
/// Two authenticated internal links joined by in-memory pipes: <see cref="Near"/> is the side under test, <see cref="Far"/>
/// the peer the test plays.
/// </summary>
internal sealed class LinkPair : IAsyncDisposable
{
    public const string Secret = "contract-secret";

    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _loops = [];

    private LinkPair(InternalConnection near, InternalConnection far)
    {
        Near = near;
        Far = far;
    }

    public InternalConnection Near { get; }

    public InternalConnection Far { get; }

    /// <summary>A link whose near side accepted (the gateway's view: near = gateway, far = worker) or connected (the worker's view).</summary>
    public static async Task<LinkPair> CreateAsync(bool nearAccepts)
    {
        (ConnectionContext server, ConnectionContext client) = InMemoryConnection.CreatePair();
        var options = new SwooleGatewayOptions { Secret = Secret };
        Task<InternalConnection?> accepting = InternalConnection.AcceptAsync(server, "gateway", "gateway-under-test", _ => true, options, NullLogger.Instance, CancellationToken.None);
        InternalConnection connected = await InternalConnection.HandshakeAsClientAsync(client, "memory", "worker", "worker-under-test", options, NullLogger.Instance, CancellationToken.None).DefaultTimeout();
        InternalConnection accepted = (await accepting.DefaultTimeout())!;
        return nearAccepts ? new LinkPair(accepted, connected) : new LinkPair(connected, accepted);
    }

    public void Run(InternalConnection side, IFrameHandler handler) => _loops.Add(side.RunAsync(handler, _stop.Token));

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_loops).DefaultTimeout();
        _stop.Dispose();
    }
}

/// <summary>
/// The gateway side of the contract: a real <see cref="ClientStore"/>, <see cref="ClientSender"/> and
/// <see cref="CommandExecutor"/>, three clients (connection numbers 41, 42, 43) on an in-memory newline-delimited TCP
/// listener, and a worker link whose far side captures the replies.
/// </summary>
internal sealed class GatewayHarness : IAsyncDisposable
{
    public static readonly IPEndPoint Advertised = new(IPAddress.Parse("10.0.0.7"), 2900);

    private readonly Dictionary<ulong, Pipe> _toClients = [];
    private readonly CommandExecutor _executor;
    private readonly SendBatch _batch = new();
    private LinkPair? _link;

    public GatewayHarness()
    {
        var options = new GatewayOptions();
        var listener = new TcpFramedListener(new ListenerOptions { Name = "tcp", Protocol = ListenerProtocol.Tcp }, options,
            () => new SwooleGateway.Gateway.Framing.DelimiterFramer("\n"u8.ToArray()), statelessFramer: true);
        foreach (ulong id in new ulong[] { 41, 42, 43 })
        {
            var toClient = new Pipe();
            var fromClient = new Pipe();
            var transport = new DefaultConnectionContext($"client-{id}", new DuplexPipe(fromClient.Reader, toClient.Writer), new DuplexPipe(toClient.Reader, fromClient.Writer))
            {
                RemoteEndPoint = new IPEndPoint(IPAddress.Parse("203.0.113.9"), (int)(50000 + id)),
            };
            var connection = new ClientConnection(id, Advertised, transport, listener, 1 << 20);
            Store.Add(connection);
            _toClients[id] = toClient;
        }

        var customs = new Dictionary<string, GatewayCommandHandler>
        {
            ["client-count"] = (context, payload) => ValueTask.FromResult<byte[]?>(Encoding.UTF8.GetBytes($"{Encoding.UTF8.GetString(payload.Span)}:{context.ClientCount}")),
        };
        _executor = new CommandExecutor(new CommandServices(Store, new ClientSender(new GatewayMetrics(null), NullLogger.Instance), customs,
            caller => new GatewayCommandContext(caller, "gateway-under-test", Store.Count, 1), NullLogger.Instance));
    }

    public ClientStore Store { get; } = new();

    public ClientConnection Client(ulong id) => Store.Find(id)!;

    public static string ClientIdOf(ulong id) => ClientId.Encode(Advertised, id);

    /// <summary>What the worker's side of the link received: the replies.</summary>
    public ReplyCapture Replies { get; } = new();

    /// <summary>Executes one Command frame as a worker's link delivers it (the batch ends after it); its reply comes to <see cref="Replies"/>.</summary>
    public async Task ExecuteAsync(byte[] frame)
    {
        if (_link is null)
        {
            _link = await LinkPair.CreateAsync(nearAccepts: true);
            _link.Run(_link.Far, Replies);
        }

        var workerLink = new WorkerLink(_link.Near, receivesEvents: true, 1000, 1 << 20);
        FieldReader reader = Frame.Open(WireCase.Body(frame));
        _executor.Execute(workerLink, _batch, ref reader);
        _batch.Flush();
    }

    /// <summary>The messages a client received (newline-delimited), waiting at most a moment for the first.</summary>
    public async Task<List<string>> ReceivedAsync(ulong id, int expected)
    {
        var lines = new List<string>();
        PipeReader reader = _toClients[id].Reader;
        while (lines.Count < expected)
        {
            ReadResult result = await reader.ReadAsync().AsTask().DefaultTimeout();
            ReadOnlySequence<byte> buffer = result.Buffer;
            while (buffer.PositionOf((byte)'\n') is { } end)
            {
                lines.Add(Encoding.UTF8.GetString(buffer.Slice(0, end)));
                buffer = buffer.Slice(buffer.GetPosition(1, end));
            }

            reader.AdvanceTo(buffer.Start, buffer.End);
        }

        return lines;
    }

    /// <summary>True when a client has received nothing (checked after everything it would get was flushed).</summary>
    public bool ReceivedNothing(ulong id) => !_toClients[id].Reader.TryRead(out ReadResult result) || IsEmpty(_toClients[id].Reader, result);

    private static bool IsEmpty(PipeReader reader, ReadResult result)
    {
        bool empty = result.Buffer.IsEmpty;
        reader.AdvanceTo(result.Buffer.Start);
        return empty;
    }

    public async ValueTask DisposeAsync()
    {
        if (_link is not null)
        {
            await _link.DisposeAsync();
        }
    }

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}

/// <summary>
/// The worker side of the contract: a real <see cref="GatewayApi"/> whose directory holds one link, to gateway
/// <see cref="GatewayHarness.Advertised"/>, over in-memory pipes; the far side is the test, which sees each Command frame
/// the API writes and answers it.
/// </summary>
internal sealed class WorkerHarness : IAsyncDisposable
{
    private LinkPair _link = null!;

    public GatewayApi Api { get; private set; } = null!;

    public CommandCapture Gateway { get; } = new();

    public static async Task<WorkerHarness> StartAsync()
    {
        var harness = new WorkerHarness();
        harness._link = await LinkPair.CreateAsync(nearAccepts: false);
        var options = new SwooleGatewayOptions { Secret = LinkPair.Secret };
        var directory = new GatewayDirectory(new SocketTransport(), options, NullLogger.Instance, "client", "api-under-test", scheduler: null);
        var link = new GatewayLink(harness._link.Near, GatewayHarness.Advertised, ClientId.GatewayKey(GatewayHarness.Advertised), scheduler: null);
        directory.Attach(link);
        harness._link.Run(harness._link.Near, link);
        harness._link.Run(harness._link.Far, harness.Gateway);
        harness.Api = new GatewayApi(directory, new WorkerOptions { CallTimeout = TimeSpan.FromSeconds(5), ListPageSize = 100 });
        return harness;
    }

    /// <summary>Answers a command the far side received.</summary>
    public void Reply(ReadOnlySpan<byte> frame) => _link.Far.TrySend(frame);

    public ValueTask DisposeAsync() => _link.DisposeAsync();
}

/// <summary>
/// Records the frames of one kind a link receives, as (the two numbers after the kind, the raw bytes of the fields after
/// them): Command frames (request id, op, arguments) on the far side of a worker harness, Reply frames (request id,
/// status, result) on the far side of a gateway harness.
/// </summary>
internal class FrameCapture(MessageKind kind) : IFrameHandler
{
    private readonly SemaphoreSlim _arrived = new(0);
    private readonly System.Collections.Concurrent.ConcurrentQueue<(uint First, uint Second, byte[] Fields)> _frames = new();

    public async Task<(uint First, uint Second, byte[] Fields)> NextAsync()
    {
        await _arrived.WaitAsync().DefaultTimeout();
        _frames.TryDequeue(out var frame);
        return frame;
    }

    public bool Any => !_frames.IsEmpty;

    public void OnFrame(InternalConnection connection, ref FieldReader frame)
    {
        if (frame.Kind != kind)
        {
            frame.SkipRest();
            return;
        }

        uint first = frame.UInt();
        uint second = frame.UInt();
        _frames.Enqueue((first, second, RestOf(ref frame)));
        _arrived.Release();
    }

    /// <summary>The raw bytes of the fields of a frame written by the shared writer, after its kind and two header numbers.</summary>
    public static byte[] RestOf(ReadOnlySpan<byte> frame)
    {
        FieldReader reader = Frame.Open(WireCase.Body(frame.ToArray()));
        reader.UInt();
        reader.UInt();
        return RestOf(ref reader);
    }

    private static byte[] RestOf(ref FieldReader frame)
    {
        var rest = new ArrayBufferWriter<byte>();
        while (frame.Remaining > 0)
        {
            rest.Write(frame.Raw().ToArray());
        }

        return rest.WrittenSpan.ToArray();
    }
}

internal sealed class CommandCapture() : FrameCapture(MessageKind.Command);

internal sealed class ReplyCapture() : FrameCapture(MessageKind.Reply);
