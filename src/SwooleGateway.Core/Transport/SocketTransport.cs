using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace SwooleGateway.Transport;

/// <summary>
/// Kestrel's socket transport without the HTTP server: listeners and outbound connections that hand
/// out <see cref="ConnectionContext"/>s whose pipes wait for data before renting memory.
/// </summary>
internal sealed class SocketTransport : IDisposable
{
    private readonly SocketTransportFactory _listenFactory;
    private readonly SocketConnectionContextFactory _connectFactory;

    public SocketTransport(ILoggerFactory? loggerFactory = null)
    {
        loggerFactory ??= NullLoggerFactory.Instance;
        var options = new SocketTransportOptions
        {
            // Idle sockets hold no receive buffer (the default, stated because it matters: +4 KB per idle socket otherwise).
            WaitForDataBeforeAllocatingBuffer = true,
            NoDelay = true,
        };
        _listenFactory = new SocketTransportFactory(Microsoft.Extensions.Options.Options.Create(options), loggerFactory);
        _connectFactory = new SocketConnectionContextFactory(
            new SocketConnectionFactoryOptions { WaitForDataBeforeAllocatingBuffer = true },
            loggerFactory.CreateLogger("SwooleGateway.Transport"));
    }

    /// <summary>Binds a listener; its <see cref="IConnectionListener.EndPoint"/> has the real port when 0 was asked.</summary>
    public ValueTask<IConnectionListener> BindAsync(IPEndPoint endpoint, CancellationToken cancellationToken) =>
        _listenFactory.BindAsync(endpoint, cancellationToken);

    /// <summary>
    /// Binds a listener for client connections on our own lean socket loop (<see cref="ClientSocketConnection"/>):
    /// no pipes, no buffers while idle, sends straight from the caller's thread. Internal links keep Kestrel's transport,
    /// whose sender coalesces the many frames a busy link carries into few syscalls.
    /// </summary>
    public IConnectionListener BindClients(IPEndPoint endpoint) => ClientSocketListener.Bind(endpoint);

    /// <summary>Connects to <paramref name="endpoint"/> within <paramref name="timeout"/>.</summary>
    public async Task<ConnectionContext> ConnectAsync(IPEndPoint endpoint, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            cts.CancelAfter(timeout);
            try
            {
                await socket.ConnectAsync(endpoint, cts.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"Connecting to {endpoint} timed out after {timeout.TotalSeconds:0.#} s.");
            }

            return _connectFactory.Create(socket);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public void Dispose() => _connectFactory.Dispose();
}
