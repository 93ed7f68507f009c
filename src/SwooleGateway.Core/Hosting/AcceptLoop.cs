using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;

namespace SwooleGateway.Hosting;

/// <summary>
/// Accepts connections from a listener and runs a handler for each, tracking them so shutdown can
/// wait for every connection task (two phases: the handlers see the stopping token, then we wait).
/// <para>
/// When accepting fails (file descriptors exhausted: the connection stays in the backlog and the listener is readable
/// again at once), the loop backs off, 10 ms doubling up to 1 s, instead of retrying in a tight loop; it logs the episode
/// once when it starts (at most once per 10 s) and once when accepting works again, counts every failure, and the
/// connections it has keep being served meanwhile.
/// </para>
/// </summary>
internal sealed partial class AcceptLoop
{
    private const int FirstBackoffMs = 10;
    private const int MaxBackoffMs = 1000;
    private const long EpisodeLogIntervalMs = 10_000;

    private readonly IConnectionListener _listener;
    private readonly Func<ConnectionContext, CancellationToken, Task>? _handler;
    private readonly Action<ConnectionContext, Action>? _start;
    private readonly Action _release;
    private readonly ILogger _logger;
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Counter<long>? _errors;
    private readonly Func<CancellationToken, ValueTask>? _waitForRoom;
    private int _active = 1; // 1 for the accept loop itself, so the count reaches 0 only after it stopped

    /// <param name="waitForRoom">Awaited before each accept: completes when another connection may be taken (a limit).</param>
    public AcceptLoop(IConnectionListener listener, Func<ConnectionContext, CancellationToken, Task> handler, ILogger logger, Counter<long>? errors = null,
        Func<CancellationToken, ValueTask>? waitForRoom = null)
        : this(listener, handler, null, logger, errors, waitForRoom)
    {
    }

    private AcceptLoop(IConnectionListener listener, Func<ConnectionContext, CancellationToken, Task>? handler, Action<ConnectionContext, Action>? start,
        ILogger logger, Counter<long>? errors, Func<CancellationToken, ValueTask>? waitForRoom)
    {
        _listener = listener;
        _handler = handler;
        _start = start;
        _logger = logger;
        _errors = errors;
        _waitForRoom = waitForRoom;
        _release = Release;
    }

    /// <summary>
    /// An accept loop whose handler owns each connection's lifetime: <paramref name="start"/> is called on the accept
    /// loop, must return at once (move its work off the loop, for example with <c>await Task.Yield()</c> first), must not
    /// throw, and must call the action it is given exactly once, when the connection is finished. Nothing here waits
    /// for the connection, so nothing is kept per connection beyond the handler's own state (an awaiting wrapper costs
    /// ~160 bytes per connection for its whole life: on a gateway holding 100,000 idle clients, 16 MB).
    /// </summary>
    public static AcceptLoop Owning(IConnectionListener listener, Action<ConnectionContext, Action> start, ILogger logger, Counter<long>? errors = null,
        Func<CancellationToken, ValueTask>? waitForRoom = null) => new(listener, null, start, logger, errors, waitForRoom);

    public async Task RunAsync(CancellationToken stopping)
    {
        int failures = 0; // since the episode was announced
        long announcedAt = long.MinValue / 2; // when the last "fails" line was written
        bool announced = false; // a "fails" line waits for its "works again" line
        int backoff = FirstBackoffMs;
        try
        {
            while (!stopping.IsCancellationRequested)
            {
                ConnectionContext? connection;
                try
                {
                    if (_waitForRoom is not null)
                    {
                        await _waitForRoom(stopping).ConfigureAwait(false);
                    }

                    connection = await _listener.AcceptAsync(stopping).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
                catch (Exception ex) when (ex is System.Net.Sockets.SocketException or IOException)
                {
                    _errors?.Add(1);
                    long now = Environment.TickCount64;
                    if (!announced && now - announcedAt >= EpisodeLogIntervalMs)
                    {
                        // At most one line per interval: at the limit, a descriptor freed now and then lets one accept
                        // through between failures, and each of those would otherwise start a new episode and a new line.
                        Log.AcceptFailing(_logger, _listener.EndPoint.ToString() ?? "?", Reason(ex));
                        announced = true;
                        announcedAt = now;
                        failures = 0;
                    }

                    failures++;

                    try
                    {
                        await Task.Delay(backoff, stopping).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                        break;
                    }

                    backoff = Math.Min(backoff * 2, MaxBackoffMs);
                    continue;
                }

                backoff = FirstBackoffMs;
                if (announced)
                {
                    Log.AcceptRecovered(_logger, _listener.EndPoint.ToString() ?? "?", failures, (Environment.TickCount64 - announcedAt) / 1000.0);
                    announced = false;
                }

                if (connection is null)
                {
                    break; // listener unbound
                }

                // A counter, not a collection of tasks: nothing per connection beyond the handler's own state.
                Interlocked.Increment(ref _active);
                if (_start is not null)
                {
                    _start(connection, _release);
                }
                else
                {
                    _ = RunOneAsync(connection, stopping);
                }
            }
        }
        finally
        {
            await _listener.UnbindAsync(CancellationToken.None).ConfigureAwait(false);
            Release();
            await _drained.Task.ConfigureAwait(false);
            await _listener.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Disposes a connection whose handler failed; one that is already broken may throw, and that is not news.</summary>
    internal static async Task DisposeQuietlyAsync(ConnectionContext connection)
    {
        try
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception)
        {
            // already broken
        }
    }

    private void Release()
    {
        if (Interlocked.Decrement(ref _active) == 0)
        {
            _drained.TrySetResult();
        }
    }

    private async Task RunOneAsync(ConnectionContext connection, CancellationToken stopping)
    {
        await Task.Yield();
        try
        {
            await _handler!(connection, stopping).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            _logger.LogError(ex, "Connection handler for {Remote} failed", connection.RemoteEndPoint);
            await DisposeQuietlyAsync(connection).ConfigureAwait(false);
        }
        finally
        {
            Release();
        }
    }

    /// <summary>
    /// The failure path runs when the process has no file descriptor left, and with W^X (.NET's default) compiling a
    /// method needs one: the first failure would end the process ("Out of memory.") instead of backing off. So the
    /// methods that only that path calls are compiled (run once, into a logger that formats and discards) before any
    /// listener accepts.
    /// </summary>
    static AcceptLoop()
    {
        var discard = new DiscardingLogger();
        Log.AcceptFailing(discard, "", Reason(new System.Net.Sockets.SocketException((int)System.Net.Sockets.SocketError.TooManyOpenSockets)));
        Log.AcceptFailing(discard, "", Reason(new System.Net.Sockets.SocketException((int)System.Net.Sockets.SocketError.NoBufferSpaceAvailable)));
        Log.AcceptRecovered(discard, "", 1, 0.5);
        Task.Delay(1).GetAwaiter().GetResult();
    }

    private static string Reason(Exception ex) => ex is System.Net.Sockets.SocketException socket
        ? socket.SocketErrorCode == System.Net.Sockets.SocketError.TooManyOpenSockets
            ? "too many open files (the process's file descriptor limit, ulimit -n, is reached)"
            : $"{socket.SocketErrorCode}: {socket.Message}"
        : ex.Message;

    private sealed class DiscardingLogger : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            _ = formatter(state, exception);
    }

    private static partial class Log
    {
        [LoggerMessage(1301, LogLevel.Error, "Accepting connections on {EndPoint} fails: {Reason}. Backing off (up to 1 s between tries) until it works again; connections already open are served meanwhile", EventName = "AcceptFailing")]
        public static partial void AcceptFailing(ILogger logger, string endPoint, string reason);

        [LoggerMessage(1302, LogLevel.Warning, "Accepting connections on {EndPoint} works again after {Failures} failed tries over {Seconds:0.0} s", EventName = "AcceptRecovered")]
        public static partial void AcceptRecovered(ILogger logger, string endPoint, int failures, double seconds);
    }
}
