using EchoSample;
using Microsoft.Extensions.Hosting;
using SwooleGateway.Gateway;
using SwooleGateway.Register;
using SwooleGateway.Worker;

// dotnet run --project samples/SwooleGateway.Samples.Echo                 a worker against the register at 127.0.0.1:1236
// dotnet run --project samples/SwooleGateway.Samples.Echo -- --all-in-one  register + gateway + worker in this one process
bool allInOne = args.Contains("--all-in-one");
string[] hostArgs = [.. args.Where(a => a != "--all-in-one")];

HostApplicationBuilder builder = SwooleGateway.Hosting.StockHost.CreateBuilder(hostArgs);
if (allInOne)
{
    builder.Services.AddSwooleGatewayRegister();
    builder.Services.AddSwooleGatewayGateway();
}

builder.Services.AddSwooleGatewayWorker<EchoHandler>();
await builder.Build().RunAsync();
