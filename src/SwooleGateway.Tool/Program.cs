using System.Reflection;
using SwooleGateway.Gateway;
using SwooleGateway.Register;

// swoolegateway register | gateway | status [--Section:Key=value ...]: the stock processes, the same code as the
// register and gateway executables of the repository.
string command = args.Length > 0 ? args[0] : "--help";
string[] rest = args.Length > 0 ? args[1..] : [];
if (rest.Any(a => a is "--help" or "-h" or "-?"))
{
    return Usage(command);
}

return command switch
{
    "register" => await RegisterProgram.RunAsync(rest),
    "gateway" => await GatewayProgram.RunAsync(rest),
    "status" => await RegisterProgram.StatusAsync(rest),
    "--version" or "version" => Version(),
    "--help" or "-h" or "-?" or "help" => Usage(rest.FirstOrDefault() ?? ""),
    _ => Unknown(command),
};

static int Usage(string command)
{
    string version = Assembly.GetEntryAssembly()?.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "";
    Console.WriteLine($"swoolegateway {version}");
    switch (command)
    {
        case "register":
            Console.WriteLine("swoolegateway register [settings]: runs a register (gateways announce to it; workers learn the gateways from it).\n");
            Console.WriteLine(RegisterProgram.Help);
            break;
        case "gateway":
            Console.WriteLine("swoolegateway gateway [settings]: runs a gateway (clients connect to it; it forwards their events to workers).\n");
            Console.WriteLine(GatewayProgram.Help);
            break;
        case "status":
            Console.WriteLine("swoolegateway status --SwooleGateway:Register:Admin=HOST:PORT [--SwooleGateway:Register:AdminToken=TOKEN]");
            Console.WriteLine("  prints the cluster (gateways, workers, connections, events/s) from a register's admin endpoint.");
            break;
        default:
            Console.WriteLine("""
Usage: swoolegateway <command> [settings]

Commands:
  register   run a register
  gateway    run a gateway
  status     print the cluster status from a register's admin endpoint
  --version  print the version

Settings come from appsettings.json in the current folder, environment variables (SwooleGateway__Secret=...) and
the command line (--SwooleGateway:Secret=...), later ones winning. 'swoolegateway <command> --help' lists the
important ones. Your workers are your own apps: dotnet new swoolegateway-worker (package SwooleGateway.Templates).
""");
            break;
    }

    return 0;
}

static int Version()
{
    Console.WriteLine(Assembly.GetEntryAssembly()?.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion);
    return 0;
}

static int Unknown(string command)
{
    Console.Error.WriteLine($"swoolegateway: unknown command '{command}'. Commands: register, gateway, status; see 'swoolegateway --help'.");
    return 1;
}
