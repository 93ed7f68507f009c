using Microsoft.Extensions.Hosting;
using SwooleGateway.Register;

// The stock register executable: dotnet run --project src/SwooleGateway.Register [--SwooleGateway:Register:Listen=host:port]
HostApplicationBuilder builder = SwooleGateway.Hosting.StockHost.CreateBuilder(args);
builder.Services.AddSwooleGatewayRegister();
await builder.Build().RunAsync();
