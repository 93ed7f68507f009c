using BenchmarkDotNet.Running;
using SwooleGateway.Benchmarks;

// dotnet run -c Release --project benchmarks/SwooleGateway.Benchmarks -- --filter '*'
// For a profiler (perf record -p <pid>, with DOTNET_PerfMapEnabled=1 and DOTNET_EnableWriteXorExecute=0):
//   dotnet benchmarks/SwooleGateway.Benchmarks/bin/Release/net10.0/SwooleGateway.Benchmarks.dll --loop worker|gateway [seconds]
// runs one dispatch benchmark in a plain loop (default 20 s) and prints the time per event as it goes.
if (args is ["--loop", string which, ..])
{
    if (which is not ("worker" or "gateway"))
    {
        Console.Error.WriteLine("--loop takes 'worker' or 'gateway'");
        return 1;
    }

    double seconds = args.Length > 2 ? double.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 20;
    var bench = new DispatchBenchmarks();
    bench.Setup();
    var watch = System.Diagnostics.Stopwatch.StartNew();
    long events = 0;
    double nextReport = 2;
    while (watch.Elapsed.TotalSeconds < seconds)
    {
        for (int i = 0; i < 1000; i++)
        {
            _ = which == "worker" ? bench.Worker_event_to_handler_answer_and_ack() : (long)bench.Gateway_message_to_worker_and_ack();
        }

        events += 1000L * DispatchBenchmarks.EventsPerInvoke;
        if (watch.Elapsed.TotalSeconds >= nextReport)
        {
            Console.WriteLine($"{watch.Elapsed.TotalSeconds * 1e9 / events:0} ns per event (average since the start)");
            nextReport += 2;
        }
    }

    bench.Cleanup();
    return 0;
}

BenchmarkSwitcher.FromAssembly(typeof(CodecBenchmarks).Assembly).Run(args);
return 0;
