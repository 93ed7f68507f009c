using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace SwooleGateway.Tests.Infrastructure;

/// <summary>
/// Newline-delimited TCP clients that each keep <c>window</c> requests in flight (a new one as each is answered) until
/// told to stop, then wait for the answers still due. A request is <c>prefix</c> followed by <c>client:n</c>; its answer
/// is any line that ends with <c>:n</c> (the Echo sample's <c>echo:</c> or <c>delay:ms:</c>). Counts what was sent, answered (once) and answered
/// again, and whether any client was disconnected. Bounded: sending stops on <see cref="StopSending"/>, waiting on a timeout.
/// </summary>
internal sealed class PipelinedEchoLoad : IAsyncDisposable
{
    private readonly List<Client> _clients = [];
    private readonly CancellationTokenSource _stopSending = new();
    private readonly List<Task> _loops = [];

    public long Sent => _clients.Sum(c => Volatile.Read(ref c.Sent));

    public long Answered => _clients.Sum(c => c.Answered.Count);

    public long Repeated => _clients.Sum(c => Volatile.Read(ref c.Repeated));

    public int Disconnected => _clients.Count(c => c.Disconnected);


    public static async Task<PipelinedEchoLoad> StartAsync(IPEndPoint endpoint, int clients, int window, string prefix = "echo:")
    {
        var load = new PipelinedEchoLoad();
        for (int i = 0; i < clients; i++)
        {
            var socket = new TcpClient(AddressFamily.InterNetwork) { NoDelay = true };
            await socket.ConnectAsync(endpoint).WaitAsync(TimeoutExtensions.Default);
            load._clients.Add(new Client(i, socket, window, prefix));
        }

        foreach (Client client in load._clients)
        {
            load._loops.Add(client.RunAsync(load._stopSending.Token));
        }

        return load;
    }

    public void StopSending() => _stopSending.Cancel();

    /// <summary>Waits until every request sent has been answered, or the timeout passes (then the counts say what is missing).</summary>
    public async Task WaitForAnswersAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        while (!cts.IsCancellationRequested && _clients.Any(c => !c.Disconnected && c.Answered.Count < Volatile.Read(ref c.Sent)))
        {
            try
            {
                await Task.Delay(50, cts.Token);
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stopSending.Cancel();
        foreach (Client client in _clients)
        {
            client.Socket.Dispose();
        }

        try
        {
            await Task.WhenAll(_loops).WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (Exception)
        {
            // the sockets were closed under them
        }

        _stopSending.Dispose();
    }

    private sealed class Client(int index, TcpClient socket, int window, string prefix)
    {
        private readonly SemaphoreSlim _window = new(window, window);

        public readonly TcpClient Socket = socket;
        public readonly ConcurrentDictionary<long, byte> Answered = new();
        public long Sent;
        public long Repeated;
        public volatile bool Disconnected;

        public Task RunAsync(CancellationToken stopSending) => Task.WhenAll(Task.Run(() => SendAsync(stopSending)), Task.Run(ReceiveAsync));

        private async Task SendAsync(CancellationToken stopSending)
        {
            NetworkStream stream = Socket.GetStream();
            try
            {
                for (long n = 0; !stopSending.IsCancellationRequested; n++)
                {
                    await _window.WaitAsync(stopSending);
                    await stream.WriteAsync(Encoding.ASCII.GetBytes($"{prefix}{index}:{n}\n"), stopSending);
                    Interlocked.Increment(ref Sent);
                }
            }
            catch (OperationCanceledException)
            {
            }
            catch (Exception) when (!stopSending.IsCancellationRequested)
            {
                Disconnected = true;
            }
        }

        private async Task ReceiveAsync()
        {
            using var reader = new StreamReader(Socket.GetStream(), Encoding.ASCII);
            try
            {
                while (await reader.ReadLineAsync() is { } line)
                {
                    long n = long.Parse(line.AsSpan(line.LastIndexOf(':') + 1), System.Globalization.CultureInfo.InvariantCulture);
                    if (Answered.TryAdd(n, 0))
                    {
                        _window.Release();
                    }
                    else
                    {
                        Interlocked.Increment(ref Repeated);
                    }
                }

                Disconnected = true; // the server closed
            }
            catch (Exception) when (Socket.Client is null || !Socket.Connected)
            {
                // disposed at the end of the test
            }
            catch (IOException)
            {
                Disconnected = true;
            }
        }
    }
}
