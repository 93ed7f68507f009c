using SwooleGateway.Hosting;

namespace SwooleGateway.Gateway;

/// <summary>
/// The stock gateway process: the gateway executable's Main and <c>swoolegateway gateway</c> of the dotnet tool run this
/// same code. Settings: appsettings.json beside the program, then in the current folder, then environment variables and
/// the command line (<c>--SwooleGateway:Gateway:Listeners:0:Endpoint=0.0.0.0:7272</c>).
/// </summary>
public static class GatewayProgram
{
    /// <summary>The settings <c>--help</c> lists.</summary>
    public const string Help = """
  --SwooleGateway:Registers:0=HOST:PORT                  the register(s) to announce to (default 127.0.0.1:1236)
  --SwooleGateway:Secret=SECRET                          the cluster secret, the same on every node (required off loopback)
  --SwooleGateway:Gateway:Internal=HOST:PORT             where workers connect (default 127.0.0.1:2900)
  --SwooleGateway:Gateway:AdvertiseAddress=HOST:PORT     the address workers use (required when Internal binds 0.0.0.0)
  --SwooleGateway:Gateway:Listeners:0:Endpoint=HOST:PORT the WebSocket listener (default 127.0.0.1:7272)
  --SwooleGateway:Gateway:Listeners:1:Endpoint=HOST:PORT the TCP listener, newline-delimited (default 127.0.0.1:7273)
  --SwooleGateway:Gateway:MaxConnections=N               clients at most (also capped by ulimit -n)
  --SwooleGateway:Gateway:Routing:Strategy=ConsistentHash  and Routing:Key=uid: a uid's clients on one worker
  --SwooleGateway:Gateway:ShutdownGracePeriod=00:00:05   on SIGTERM, time for answers in flight before closing clients
  --Logging:LogLevel:Default=Warning                     less logging
Every setting: the README's Configuration table.
""";

    /// <summary>Runs a gateway until the process is stopped (SIGTERM, Ctrl+C). Returns the exit code.</summary>
    public static Task<int> RunAsync(string[] args) => StockHost.RunAsync("gateway", args, builder => builder.Services.AddSwooleGatewayGateway());
}
