using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using SwooleGateway.Tests.Infrastructure;

namespace SwooleGateway.Tests;

/// <summary>
/// Thousands of random and mutated frames at each listener kind. The gateway must stay up, log no unhandled
/// error, and a well-behaved client must keep getting its echoes throughout. Bounded in count and time.
/// </summary>
[TestFixture]
[NonParallelizable]
[CancelAfter(120_000)]
public sealed class FuzzTests
{
    private const int ConnectionsPerKind = 250;
    private const int FramesPerConnection = 8;
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(20);

    private TestCluster _cluster = null!;

    [OneTimeSetUp]
    public async Task SetUp() => _cluster = await TestCluster.StartAsync(gatewaySettings: new()
    {
        ["SwooleGateway:Gateway:MaxFrameSize"] = "2048",
        ["SwooleGateway:Gateway:HandshakeTimeout"] = "00:00:02",
        ["SwooleGateway:Gateway:Listeners:2:Name"] = "len",
        ["SwooleGateway:Gateway:Listeners:2:Protocol"] = "Tcp",
        ["SwooleGateway:Gateway:Listeners:2:Endpoint"] = "127.0.0.1:0",
        ["SwooleGateway:Gateway:Listeners:2:Framing"] = "LengthPrefixed",
        ["SwooleGateway:Gateway:Listeners:3:Name"] = "raw",
        ["SwooleGateway:Gateway:Listeners:3:Protocol"] = "Tcp",
        ["SwooleGateway:Gateway:Listeners:3:Endpoint"] = "127.0.0.1:0",
        ["SwooleGateway:Gateway:Listeners:3:Framing"] = "Raw",
    });

    [OneTimeTearDown]
    public async Task TearDown() => await _cluster.DisposeAsync();

    [TestCase("ws", true)]
    [TestCase("ws", false)]
    [TestCase("tcp", false)]
    [TestCase("len", false)]
    [TestCase("raw", false)]
    public async Task Random_and_mutated_frames_never_hurt_the_gateway_or_another_client(string listener, bool upgradeFirst)
    {
        IPEndPoint target = _cluster.Gateway.ListenerEndPoints[listener];
        await using WsTestClient witness = await WsTestClient.ConnectAsync(_cluster.WebSocketEndPoint);
        var random = new Random(listener.GetHashCode(StringComparison.Ordinal) ^ (upgradeFirst ? 1 : 0));
        var clock = Stopwatch.StartNew();
        int frames = 0;
        for (int c = 0; c < ConnectionsPerKind && clock.Elapsed < Budget; c++)
        {
            using var client = new TcpClient(AddressFamily.InterNetwork);
            await client.ConnectAsync(target).WaitAsync(TimeoutExtensions.Default);
            NetworkStream stream = client.GetStream();
            try
            {
                if (upgradeFirst)
                {
                    await stream.WriteAsync(Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"));
                }

                for (int f = 0; f < FramesPerConnection; f++, frames++)
                {
                    await stream.WriteAsync(NextInput(random, listener));
                }
            }
            catch (IOException)
            {
                // the gateway closed this connection mid-way: exactly what it should do with garbage
            }

            if (c % 50 == 49)
            {
                await witness.SendAsync($"echo:{listener}-{c}");
                Assert.That(await witness.ReceiveAsync(), Is.EqualTo($"echo:{listener}-{c}"), "a good client is served during the fuzzing");
            }
        }

        Assert.That(frames, Is.GreaterThan(1000), "enough inputs were thrown");
        await witness.SendAsync("echo:after");
        Assert.That(await witness.ReceiveAsync(), Is.EqualTo("echo:after"));
        Assert.That(_cluster.Logs.Lines.Where(l => l.StartsWith("Error", StringComparison.Ordinal) || l.StartsWith("Critical", StringComparison.Ordinal)), Is.Empty,
            "no unhandled error was logged");
    }

    private static byte[] NextInput(Random random, string listener)
    {
        switch (random.Next(4))
        {
            case 0:
            {
                var bytes = new byte[random.Next(1, 300)];
                random.NextBytes(bytes);
                return bytes;
            }

            default:
            {
                byte[] valid = listener switch
                {
                    "ws" => RawWebSocket.Frame((byte)random.Next(0, 3), Encoding.UTF8.GetBytes("echo:" + new string('a', random.Next(0, 200))), fin: random.Next(4) != 0),
                    "len" => [0, 0, 0, 10, .. "echo:fuzz!"u8],
                    _ => Encoding.UTF8.GetBytes("echo:" + new string('b', random.Next(0, 100)) + "\n"),
                };
                int mutations = random.Next(0, 4);
                for (int m = 0; m < mutations; m++)
                {
                    switch (random.Next(3))
                    {
                        case 0:
                            valid[random.Next(valid.Length)] ^= (byte)(1 << random.Next(8));
                            break;
                        case 1:
                            valid = valid[..random.Next(1, valid.Length + 1)];
                            break;
                        default:
                            valid[random.Next(valid.Length)] = (byte)random.Next(256);
                            break;
                    }
                }

                return valid;
            }
        }
    }
}
