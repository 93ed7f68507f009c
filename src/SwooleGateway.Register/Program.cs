using Microsoft.Extensions.Hosting;
using SwooleGateway.Register;

// The stock register executable: dotnet run --project src/SwooleGateway.Register [--SwooleGateway:Register:Listen=host:port]
//   status [--SwooleGateway:Register:Admin=host:port] [--SwooleGateway:Register:AdminToken=...]   prints the cluster view
if (args.Length > 0 && args[0] == "status")
{
    HostApplicationBuilder settings = SwooleGateway.Hosting.StockHost.CreateBuilder(args[1..]);
    return await StatusCommand.RunAsync(settings.Configuration, Console.Out, Console.Error);
}

HostApplicationBuilder builder = SwooleGateway.Hosting.StockHost.CreateBuilder(args);
builder.Services.AddSwooleGatewayRegister();
await builder.Build().RunAsync();
return 0;
