using Microsoft.Extensions.Hosting;
using SwooleGateway.Gateway;

// The stock gateway executable: dotnet run --project src/SwooleGateway.Gateway [--SwooleGateway:Gateway:Internal=host:port ...]
HostApplicationBuilder builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args, ContentRootPath = AppContext.BaseDirectory });
builder.Services.AddSwooleGatewayGateway();
await builder.Build().RunAsync();
