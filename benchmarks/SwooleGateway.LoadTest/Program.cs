using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using SwooleGateway.LoadTest;

// SwooleGateway load tool. Modes:
//   echo       N connections in a closed loop sending "echo:<payload>" and waiting for it to come back.
//   broadcast  N receivers, one sender sending "bcast:<seq>:<payload>" with a window of broadcasts in flight.
//   fleet-hold / fleet-drive  many clients over several processes and gateways (benchmarks/100k.sh): holders connect,
//              bind uids and join groups, then count what the driver's broadcasts, uid and group sends bring them.
// Bounded in time (--duration) and count (--max-messages); loopback only unless --allow-remote.
// The last line of output is one JSON object with the results.
if (args.Length == 0 || args[0] is "--help" or "-h" or "help")
{
    Console.WriteLine(LoadOptions.Usage);
    return args.Length == 0 ? 2 : 0;
}

LoadOptions options;
try
{
    options = LoadOptions.Parse(args);
}
catch (Exception ex) when (ex is ArgumentException or FormatException)
{
    Console.Error.WriteLine(ex.Message);
    Console.Error.WriteLine(LoadOptions.Usage);
    return 2;
}

if (!options.AllowRemote && !IPAddress.IsLoopback(options.Target.Address))
{
    Console.Error.WriteLine($"Refusing to load {options.Target}: only loopback targets are allowed without --allow-remote.");
    return 2;
}

using var stop = new CancellationTokenSource(options.Duration + options.Hold + TimeSpan.FromSeconds(options.Mode.StartsWith("fleet", StringComparison.Ordinal) ? 600 : 120));
Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
if (options.Mode == "fleet-hold")
{
    return await FleetLoad.HoldAsync(options, stop.Token);
}

if (options.Mode == "fleet-drive")
{
    return await FleetLoad.DriveAsync(options, stop.Token);
}

LoadResult result = options.Mode switch
{
    "echo" => await EchoLoad.RunAsync(options, stop.Token),
    "broadcast" => await BroadcastLoad.RunAsync(options, stop.Token),
    "idle" => await IdleLoad.RunAsync(options, stop.Token),
    _ => throw new InvalidOperationException("unknown mode"),
};

Console.WriteLine(result.Describe());
Console.WriteLine(JsonSerializer.Serialize(result, LoadJson.Default.LoadResult));
return result.Errors > 0 && result.Completed == 0 ? 1 : 0;
