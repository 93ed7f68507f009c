using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http.Features;

namespace SwooleGateway.Transport;

/// <summary>
/// A client connection on our own socket loop instead of Kestrel's socket transport: a <see cref="SocketPipeReader"/>
/// and a <see cref="SocketPipeWriter"/> over one non-blocking socket. What it saves per connection (measured in
/// docs/benchmarks.md): Kestrel's two <see cref="Pipe"/>s, its receiver and sender operations, its read and write
/// loops and their state machines, and its feature collection; an idle connection is the socket, these three small
/// objects and whatever the protocol keeps.
/// </summary>
internal sealed class ClientSocketConnection : ConnectionContext, IDuplexPipe
{
    private readonly Socket _socket;
    private readonly SocketPipeReader _reader;
    private readonly SocketPipeWriter _writer;
    private string? _id;
    private IFeatureCollection? _features;
    private IDictionary<object, object?>? _items;
    private int _closed;

    public ClientSocketConnection(Socket socket)
    {
        _socket = socket;
        _reader = new SocketPipeReader(socket);
        _writer = new SocketPipeWriter(socket);
        RemoteEndPoint = socket.RemoteEndPoint;
    }

    public override string ConnectionId
    {
        get => _id ??= "client " + (RemoteEndPoint?.ToString() ?? "?"); // unique among live connections, built only if asked
        set => _id = value;
    }

    public override IFeatureCollection Features => _features ??= new FeatureCollection();

    public override IDictionary<object, object?> Items
    {
        get => _items ??= new Dictionary<object, object?>();
        set => _items = value;
    }

    public override IDuplexPipe Transport
    {
        get => this;
        set => throw new NotSupportedException("The transport of a client socket connection is fixed.");
    }

    public override EndPoint? LocalEndPoint
    {
        get => _socket.LocalEndPoint;
        set => throw new NotSupportedException();
    }

    PipeReader IDuplexPipe.Input => _reader;

    PipeWriter IDuplexPipe.Output => _writer;

    /// <summary>Closes the socket at once (pending receives and sends end); what was not sent is lost.</summary>
    public override void Abort(ConnectionAbortedException abortReason) => Close();

    /// <summary>Closes the socket; the caller has completed the pipes (and drained what it wanted sent) before.</summary>
    public override ValueTask DisposeAsync()
    {
        Close();
        _reader.Complete();
        _writer.Complete();
        return default;
    }

    private void Close()
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return;
        }

        try
        {
            _socket.Shutdown(SocketShutdown.Both); // FIN after what the kernel still holds, then close
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // already reset by the peer
        }

        _socket.Dispose();
    }
}

/// <summary>Accepts client sockets and hands out <see cref="ClientSocketConnection"/>s.</summary>
internal sealed class ClientSocketListener : IConnectionListener
{
    private readonly Socket _listen;

    private ClientSocketListener(Socket listen)
    {
        _listen = listen;
        EndPoint = listen.LocalEndPoint!;
    }

    public EndPoint EndPoint { get; }

    /// <summary>Binds and listens (SO_REUSEADDR, so a restarted gateway binds while old connections are in TIME_WAIT).</summary>
    public static ClientSocketListener Bind(IPEndPoint endpoint, int backlog = 4096)
    {
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (endpoint.Address.Equals(IPAddress.IPv6Any))
            {
                socket.DualMode = true;
            }

            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            socket.Bind(endpoint);
            socket.Listen(backlog);
            return new ClientSocketListener(socket);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            Socket socket;
            try
            {
                socket = await _listen.AcceptAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (ObjectDisposedException)
            {
                return null; // unbound
            }
            catch (SocketException ex) when (ex.SocketErrorCode == SocketError.OperationAborted)
            {
                return null; // unbound
            }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionAborted)
            {
                continue; // the client gave up while in the backlog
            }

            try
            {
                socket.NoDelay = true;
                socket.Blocking = false; // sends try once and report WouldBlock; receives are asynchronous anyway
                return new ClientSocketConnection(socket);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                socket.Dispose(); // reset between accept and setup
            }
        }
    }

    public ValueTask UnbindAsync(CancellationToken cancellationToken = default)
    {
        _listen.Dispose();
        return default;
    }

    public ValueTask DisposeAsync()
    {
        _listen.Dispose();
        return default;
    }
}
