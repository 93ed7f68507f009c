using System.Globalization;
using System.Net;

namespace SwooleGateway.LoadTest;

public sealed class LoadOptions
{
    public const string Usage = """
        usage: SwooleGateway.LoadTest <echo|broadcast|idle|fleet-hold|fleet-drive> [options]
          --target host:port     gateway client listener (default 127.0.0.1:7272)
          --transport ws|tcp|signalr  WebSocket, newline-delimited TCP, or SignalR's JSON hub protocol at /hub (default ws)
          --connections N        echo: connections in the closed loop; broadcast: receivers (default 100 / 1000)
          --window N             broadcast: broadcasts in flight (default 8)
          --size N               payload bytes per message (default 64)
          --duration S           seconds of measurement (default 10)
          --warmup S             seconds before measuring (default 2)
          --max-messages N       stop after this many messages (default 100000000)
          --rate N               echo: round trips per second in total, paced over the connections (default: as fast as
                                 they go). Two builds compared at the same rate do the same work: CPU per operation then
                                 compares their efficiency, not how much of a shared machine each got
          --stalled N            broadcast: extra clients that connect and never read (default 0)
          --pids P1,P2           idle: server processes whose RSS is measured (default: none)
          --hold S               idle: seconds to hold the connections after connecting (default 5)
          --allow-remote         allow a non-loopback target
          fleet-hold / fleet-drive (benchmarks/100k.sh: several holder processes, one per gateway, and one driver):
          --dir DIR              folder the processes coordinate through (ready.ID, broadcasts.ID files)
          --id N                 this holder's number; --first K: the global number of its first client (client K+i
                                 binds uid u<(K+i)/100> when K+i is a multiple of 100 and joins group g<(K+i)%1000>)
          --holders N            driver: holders to wait for; --total N: clients they hold in all
          --broadcasts N         broadcasts to everyone (default 10), then one message to each uid and each group
        Source addresses are spread over 127.0.0.1..127.0.0.250 (loopback targets) to go past one address's ports.
        """;

    public string Mode { get; private set; } = "";

    public IPEndPoint Target { get; private set; } = new(IPAddress.Loopback, 7272);

    public string Transport { get; private set; } = "ws";

    public int Connections { get; private set; }

    public int Window { get; private set; } = 8;

    public int Size { get; private set; } = 64;

    public TimeSpan Duration { get; private set; } = TimeSpan.FromSeconds(10);

    public TimeSpan Warmup { get; private set; } = TimeSpan.FromSeconds(2);

    public long MaxMessages { get; private set; } = 100_000_000;

    public bool AllowRemote { get; private set; }

    /// <summary>Echo: target round trips per second over all connections; 0 = closed loop, as fast as they go.</summary>
    public double Rate { get; private set; }

    public int Stalled { get; private set; }

    public int[] Pids { get; private set; } = [];

    public TimeSpan Hold { get; private set; } = TimeSpan.FromSeconds(5);

    public string Dir { get; private set; } = "";

    public int Id { get; private set; }

    public int First { get; private set; }

    public int Holders { get; private set; } = 1;

    public int Total { get; private set; }

    public int Broadcasts { get; private set; } = 10;

    public static LoadOptions Parse(string[] args)
    {
        if (args.Length == 0 || args[0] is not ("echo" or "broadcast" or "idle" or "fleet-hold" or "fleet-drive"))
        {
            throw new ArgumentException("first argument must be the mode: echo, broadcast, idle, fleet-hold or fleet-drive");
        }

        var o = new LoadOptions { Mode = args[0] };
        o.Connections = o.Mode switch { "echo" => 100, "idle" or "fleet-hold" => 10_000, _ => 1000 };
        for (int i = 1; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--target": o.Target = IPEndPoint.Parse(Next()); break;
                case "--transport": o.Transport = Next() switch { "tcp" => "tcp", "signalr" => "signalr", _ => "ws" }; break;
                case "--connections": o.Connections = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--window": o.Window = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--size": o.Size = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--duration": o.Duration = TimeSpan.FromSeconds(double.Parse(Next(), CultureInfo.InvariantCulture)); break;
                case "--warmup": o.Warmup = TimeSpan.FromSeconds(double.Parse(Next(), CultureInfo.InvariantCulture)); break;
                case "--max-messages": o.MaxMessages = long.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--allow-remote": o.AllowRemote = true; break;
                case "--rate": o.Rate = double.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--stalled": o.Stalled = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--pids": o.Pids = [.. Next().Split(',', StringSplitOptions.RemoveEmptyEntries).Select(p => int.Parse(p, CultureInfo.InvariantCulture))]; break;
                case "--hold": o.Hold = TimeSpan.FromSeconds(double.Parse(Next(), CultureInfo.InvariantCulture)); break;
                case "--dir": o.Dir = Next(); break;
                case "--id": o.Id = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--first": o.First = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--holders": o.Holders = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--total": o.Total = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--broadcasts": o.Broadcasts = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                default: throw new ArgumentException($"unknown option {args[i]}");
            }
        }

        if (o.Connections < 1 || o.Window < 1 || o.Size < 0)
        {
            throw new ArgumentException("connections and window must be positive, size not negative");
        }

        return o;
    }
}
