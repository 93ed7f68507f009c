using Microsoft.Extensions.Hosting;
using SwooleGateway.Register;

// The stock register executable: dotnet run --project src/SwooleGateway.Register [--SwooleGateway:Register:Listen=host:port]
HostApplicationBuilder builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args, ContentRootPath = AppContext.BaseDirectory });
builder.Services.AddSwooleGatewayRegister();
await builder.Build().RunAsync();
