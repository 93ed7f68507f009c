using SwooleGateway.Gateway;
using SwooleGateway.Register;
using SwooleGateway.Worker;
using TelemetrySample;

// dotnet run --project samples/SwooleGateway.Samples.Telemetry -- --all-in-one
//     register + gateway (devices: TCP 127.0.0.1:7274, dashboards: WebSocket 127.0.0.1:7272) + the worker, and the
//     dashboard page on http://127.0.0.1:8081/
// dotnet run --project samples/SwooleGateway.Samples.Telemetry -- simulate --devices 100 [--gateway 127.0.0.1:7274] [--interval 1000]
//     N simulated devices
// dotnet run --project samples/SwooleGateway.Samples.Telemetry
//     the worker (and the page) against the registers in SwooleGateway:Registers
if (args.Length > 0 && args[0] == "simulate")
{
    return await Simulator.RunAsync(args[1..]);
}

bool allInOne = args.Contains("--all-in-one");
WebApplicationBuilder builder = WebApplication.CreateBuilder(new WebApplicationOptions
{
    Args = [.. args.Where(a => a != "--all-in-one")],
    ContentRootPath = AppContext.BaseDirectory,
    WebRootPath = Path.Combine(AppContext.BaseDirectory, "wwwroot"),
});
builder.WebHost.UseUrls(builder.Configuration["Telemetry:PageUrl"] ?? "http://127.0.0.1:8081");
if (allInOne)
{
    builder.Services.AddSwooleGatewayRegister();
    builder.Services.AddSwooleGatewayGateway();
}

builder.Services.AddSwooleGatewayWorker<TelemetryHandler>();

WebApplication app = builder.Build();
app.UseDefaultFiles();
app.UseStaticFiles();

// Where the dashboard's WebSocket goes: configured, or the WebSocket listener of the gateway in this process.
app.MapGet("/config.json", async (HttpContext context, IServiceProvider services) =>
{
    string? url = app.Configuration["Telemetry:WebSocketUrl"];
    if (string.IsNullOrEmpty(url))
    {
        int port = 7272;
        if (services.GetService<GatewayEndpoints>() is { } gateway)
        {
            await gateway.Ready;
            port = gateway.Listeners.FirstOrDefault(l => l.Transport == "websocket")?.EndPoint.Port ?? port;
        }

        url = $"ws://{context.Request.Host.Host}:{port}/";
    }

    return Results.Json(new { webSocketUrl = url });
});

await app.RunAsync();
return 0;
