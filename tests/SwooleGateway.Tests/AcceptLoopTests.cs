using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;
using SwooleGateway.Hosting;
using SwooleGateway.Tests.Infrastructure;

namespace SwooleGateway.Tests;

/// <summary>
/// A listener whose accepts fail (file descriptors exhausted: the pending connection stays in the backlog, so the
/// listener is readable again at once) must not spin: the loop backs off, logs the episode once when it starts and once
/// when it ends, counts each failure, and serves the next connection once accepting works again. (Before: a gateway
/// under <c>ulimit -n 300</c> offered 400 connections spun 1.15 cores and wrote 644,000 log lines in 10 s.)
/// </summary>
[TestFixture]
[CancelAfter(30_000)]
public sealed class AcceptLoopTests
{
    [Test]
    public async Task Failing_accepts_back_off_log_once_per_episode_and_recover()
    {
        var listener = new FailingListener(failFor: TimeSpan.FromSeconds(1.5));
        var logs = new LogSink();
        using var meter = new Meter("test.accept");
        Counter<long> errors = meter.CreateCounter<long>("accept_errors");
        long counted = 0;
        using var meterListener = new MeterListener();
        meterListener.InstrumentPublished = (instrument, l) => { if (instrument == errors) l.EnableMeasurementEvents(instrument); };
        meterListener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref counted, value));
        meterListener.Start();
        var handled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var loop = new AcceptLoop(listener, (_, _) => { handled.TrySetResult(); return Task.CompletedTask; }, logs.CreateLogger("accept"), errors);

        await loop.RunAsync(CancellationToken.None).DefaultTimeout(); // ends when the listener reports itself unbound
        await handled.Task.DefaultTimeout();

        TestContext.Out.WriteLine($"{listener.Failures} failed accepts in {listener.FailFor.TotalSeconds} s");
        Assert.That(listener.Failures, Is.InRange(3, 20), "backed off (10 ms doubling to 1 s), not a tight loop");
        Assert.That(Interlocked.Read(ref counted), Is.EqualTo(listener.Failures), "every failure counted");
        Assert.That(logs.Lines.Count(l => l.Contains("fails: too many open files", StringComparison.Ordinal)), Is.EqualTo(1), string.Join('\n', logs.Lines));
        Assert.That(logs.Lines.Count(l => l.Contains($"works again after {listener.Failures} failed tries", StringComparison.Ordinal)), Is.EqualTo(1), string.Join('\n', logs.Lines));
    }

    /// <summary>
    /// An owning loop (the gateway's client listeners) does not await its connections, but its run still ends only once
    /// every connection it started has called its done action: shutdown waits for the clients' teardown.
    /// </summary>
    [Test]
    public async Task An_owning_loop_ends_only_after_every_connection_it_started_is_done()
    {
        var listener = new FailingListener(failFor: TimeSpan.Zero);
        Action? done = null;
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        AcceptLoop loop = AcceptLoop.Owning(listener, (_, release) => { done = release; started.TrySetResult(); }, new LogSink().CreateLogger("accept"));

        Task run = loop.RunAsync(CancellationToken.None);
        await started.Task.DefaultTimeout();
        await Task.WhenAny(run, Task.Delay(300));
        Assert.That(run.IsCompleted, Is.False, "the listener is unbound, but a connection it started is still open");

        done!();
        await run.DefaultTimeout();
    }

    /// <summary>Fails every accept with EMFILE for a while, then hands out one connection, then says it is unbound.</summary>
    private sealed class FailingListener(TimeSpan failFor) : IConnectionListener
    {
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private int _handedOut;

        public TimeSpan FailFor => failFor;

        public int Failures { get; private set; }

        public EndPoint EndPoint { get; } = new IPEndPoint(IPAddress.Loopback, 7999);

        public ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
        {
            if (_clock.Elapsed < failFor)
            {
                Failures++;
                throw new SocketException((int)SocketError.TooManyOpenSockets);
            }

            return ValueTask.FromResult<ConnectionContext?>(_handedOut++ == 0 ? new DefaultConnectionContext("accepted") : null);
        }

        public ValueTask UnbindAsync(CancellationToken cancellationToken = default) => ValueTask.CompletedTask;

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
