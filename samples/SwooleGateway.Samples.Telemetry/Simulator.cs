using System.Buffers.Binary;
using System.Net.Sockets;

namespace TelemetrySample;

/// <summary>
/// <c>simulate</c>: N devices, each a TCP connection to the gateway's device listener, saying hello and then sending a
/// reading every interval (with jitter): temperatures and humidity that drift, batteries that drain. Reconnects a
/// device whose connection drops. Runs until stopped (Ctrl+C) or for <c>--duration</c> seconds.
/// </summary>
public static class Simulator
{
    public static async Task<int> RunAsync(string[] args)
    {
        string gateway = Option(args, "--gateway") ?? "127.0.0.1:7274";
        int devices = int.Parse(Option(args, "--devices") ?? "100", System.Globalization.CultureInfo.InvariantCulture);
        int intervalMs = int.Parse(Option(args, "--interval") ?? "1000", System.Globalization.CultureInfo.InvariantCulture);
        int durationS = int.Parse(Option(args, "--duration") ?? "0", System.Globalization.CultureInfo.InvariantCulture);
        string[] hostPort = gateway.Split(':');
        using var stop = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
        if (durationS > 0)
        {
            stop.CancelAfter(TimeSpan.FromSeconds(durationS));
        }

        Console.WriteLine($"Simulating {devices} devices against {gateway}, a reading every {intervalMs} ms each");
        long sent = 0;
        Task[] runs = [.. Enumerable.Range(1, devices).Select(i => Task.Run(() => DeviceAsync($"sensor-{i:D3}", hostPort[0], int.Parse(hostPort[1], System.Globalization.CultureInfo.InvariantCulture), intervalMs, () => Interlocked.Increment(ref sent), stop.Token)))];
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(5000, stop.Token);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            Console.WriteLine($"{Interlocked.Read(ref sent)} readings sent");
        }

        await Task.WhenAll(runs);
        return 0;
    }

    private static async Task DeviceAsync(string id, string host, int port, int intervalMs, Action counted, CancellationToken stop)
    {
        var random = new Random(id.GetHashCode(StringComparison.Ordinal));
        double temperature = 18 + random.NextDouble() * 8;
        double humidity = 35 + random.NextDouble() * 30;
        double battery = 60 + random.NextDouble() * 40;
        uint seq = 0;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                using var client = new TcpClient { NoDelay = true };
                await client.ConnectAsync(host, port, stop);
                NetworkStream stream = client.GetStream();
                await WriteAsync(stream, DeviceProtocol.HelloFrame(id), stop);
                byte[] welcome = new byte[4];
                await stream.ReadExactlyAsync(welcome, stop); // [0, 2, 0x81, status]
                if (welcome[2] != DeviceProtocol.Welcome || welcome[3] != 0)
                {
                    return;
                }

                await Task.Delay(random.Next(intervalMs), stop); // spread the devices over the interval
                while (!stop.IsCancellationRequested)
                {
                    temperature += (random.NextDouble() - 0.5) * 0.4;
                    humidity = Math.Clamp(humidity + (random.NextDouble() - 0.5), 5, 95);
                    battery = Math.Max(0, battery - random.NextDouble() * 0.05);
                    await WriteAsync(stream, DeviceProtocol.ReadingFrame(++seq, temperature, humidity, (int)battery), stop);
                    counted();
                    await Task.Delay(intervalMs + random.Next(-intervalMs / 10, intervalMs / 10 + 1), stop);
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (Exception ex) when (ex is SocketException or IOException or EndOfStreamException)
            {
                await Task.Delay(1000, CancellationToken.None); // the gateway restarts: come back
            }
        }
    }

    private static async Task WriteAsync(NetworkStream stream, byte[] body, CancellationToken stop)
    {
        byte[] frame = new byte[2 + body.Length];
        BinaryPrimitives.WriteUInt16BigEndian(frame, (ushort)body.Length);
        body.CopyTo(frame, 2);
        await stream.WriteAsync(frame, stop);
    }

    private static string? Option(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
