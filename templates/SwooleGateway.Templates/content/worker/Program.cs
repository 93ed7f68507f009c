using Microsoft.Extensions.Hosting;
using MyWorker;
using SwooleGateway.Worker;

// A worker: it connects to the registers in appsettings.json (SwooleGateway:Registers), then to every gateway they
// list, and runs MessageHandler for the events of the clients connected to those gateways. Run as many copies as you
// like, on as many machines: each client's events go to one of them, in order.
HostApplicationBuilder builder = Host.CreateApplicationBuilder(args);
builder.Services.AddSwooleGatewayWorker<MessageHandler>();
await builder.Build().RunAsync();
