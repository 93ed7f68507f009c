using Microsoft.Extensions.Hosting;
using SwooleGateway.Gateway;

// The stock gateway executable: dotnet run --project src/SwooleGateway.Gateway [--SwooleGateway:Gateway:Internal=host:port ...]
HostApplicationBuilder builder = SwooleGateway.Hosting.StockHost.CreateBuilder(args);
builder.Services.AddSwooleGatewayGateway();
await builder.Build().RunAsync();
