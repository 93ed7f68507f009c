using System.Collections.Concurrent;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;

namespace SwooleGateway.Hosting;

/// <summary>
/// Accepts connections from a listener and runs a handler for each, tracking them so shutdown can
/// wait for every connection task (two phases: the handlers see the stopping token, then we wait).
/// </summary>
internal sealed class AcceptLoop
{
    private readonly IConnectionListener _listener;
    private readonly Func<ConnectionContext, CancellationToken, Task> _handler;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<Task, byte> _running = new();

    public AcceptLoop(IConnectionListener listener, Func<ConnectionContext, CancellationToken, Task> handler, ILogger logger)
    {
        _listener = listener;
        _handler = handler;
        _logger = logger;
    }

    public int Count => _running.Count;

    public async Task RunAsync(CancellationToken stopping)
    {
        try
        {
            while (!stopping.IsCancellationRequested)
            {
                ConnectionContext? connection;
                try
                {
                    connection = await _listener.AcceptAsync(stopping).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
                catch (Exception ex) when (ex is System.Net.Sockets.SocketException or IOException)
                {
                    _logger.LogWarning(ex, "Accept on {EndPoint} failed; continuing", _listener.EndPoint);
                    continue;
                }

                if (connection is null)
                {
                    break; // listener unbound
                }

                Task task = RunOneAsync(connection, stopping);
                _running.TryAdd(task, 0);
                _ = task.ContinueWith(static (t, s) => ((ConcurrentDictionary<Task, byte>)s!).TryRemove(t, out _), _running, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }
        }
        finally
        {
            await _listener.UnbindAsync(CancellationToken.None).ConfigureAwait(false);
            await Task.WhenAll(_running.Keys).ConfigureAwait(false);
            await _listener.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task RunOneAsync(ConnectionContext connection, CancellationToken stopping)
    {
        await Task.Yield();
        try
        {
            await _handler(connection, stopping).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            _logger.LogError(ex, "Connection handler for {Remote} failed", connection.RemoteEndPoint);
            try
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception)
            {
                // already broken
            }
        }
    }
}
