using System.IO.Pipelines;
using Microsoft.AspNetCore.Connections;

namespace SwooleGateway.Tests.Infrastructure;

/// <summary>Two connection contexts joined by in-memory pipes: what one writes, the other reads.</summary>
public static class InMemoryConnection
{
    public static (ConnectionContext Server, ConnectionContext Client) CreatePair()
    {
        var toServer = new Pipe();
        var toClient = new Pipe();
        var server = new DefaultConnectionContext("server", new DuplexPipe(toServer.Reader, toClient.Writer), new DuplexPipe(toClient.Reader, toServer.Writer));
        var client = new DefaultConnectionContext("client", new DuplexPipe(toClient.Reader, toServer.Writer), new DuplexPipe(toServer.Reader, toClient.Writer));
        return (server, client);
    }

    /// <summary>A server-side context whose peer is the test itself, writing raw bytes to <see cref="IDuplexPipe.Output"/>.</summary>
    public static (ConnectionContext Server, IDuplexPipe Peer) CreateWithRawPeer()
    {
        var toServer = new Pipe();
        var toClient = new Pipe();
        var server = new DefaultConnectionContext("server", new DuplexPipe(toServer.Reader, toClient.Writer), new DuplexPipe(toClient.Reader, toServer.Writer));
        return (server, new DuplexPipe(toClient.Reader, toServer.Writer));
    }

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}
