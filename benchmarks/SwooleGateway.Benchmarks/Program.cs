using BenchmarkDotNet.Running;

// dotnet run -c Release --project benchmarks/SwooleGateway.Benchmarks -- --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(SwooleGateway.Benchmarks.CodecBenchmarks).Assembly).Run(args);
