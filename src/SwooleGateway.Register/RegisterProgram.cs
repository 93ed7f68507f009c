using Microsoft.Extensions.Hosting;
using SwooleGateway.Hosting;

namespace SwooleGateway.Register;

/// <summary>
/// The stock register process: the register executable's Main and <c>swoolegateway register</c> / <c>status</c> of the
/// dotnet tool run this same code. Settings: appsettings.json beside the program, then in the current folder, then
/// environment variables and the command line (<c>--SwooleGateway:Register:Listen=0.0.0.0:1236</c>).
/// </summary>
public static class RegisterProgram
{
    /// <summary>The settings <c>--help</c> lists.</summary>
    public const string Help = """
  --SwooleGateway:Register:Listen=HOST:PORT      where gateways, workers and clients connect (default 127.0.0.1:1236)
  --SwooleGateway:Secret=SECRET                  the cluster secret, the same on every node (required off loopback)
  --SwooleGateway:Secrets:0=NEW --...:1=OLD      while rotating the secret: the first proves, all are accepted
  --SwooleGateway:Register:Admin=HOST:PORT       the admin endpoint: a status page at / and /status.json (off by default)
  --SwooleGateway:Register:AdminToken=TOKEN      the token it requires (required when Admin is not loopback)
  --Logging:LogLevel:Default=Warning             less logging
""";

    /// <summary>Runs a register until the process is stopped (SIGTERM, Ctrl+C). Returns the exit code.</summary>
    public static Task<int> RunAsync(string[] args) => StockHost.RunAsync("register", args, builder => builder.Services.AddSwooleGatewayRegister());

    /// <summary><c>status</c>: prints the cluster view of a register's admin endpoint. Returns the exit code.</summary>
    public static Task<int> StatusAsync(string[] args)
    {
        HostApplicationBuilder settings = StockHost.CreateBuilder(args);
        return StatusCommand.RunAsync(settings.Configuration, Console.Out, Console.Error);
    }
}
