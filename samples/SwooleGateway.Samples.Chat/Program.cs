using ChatSample;
using SwooleGateway.Gateway;
using SwooleGateway.Register;
using SwooleGateway.Worker;

// dotnet run --project samples/SwooleGateway.Samples.Chat -- --all-in-one
//     register + gateway + the chat worker in this process, and the page on http://127.0.0.1:8080/
// dotnet run --project samples/SwooleGateway.Samples.Chat
//     the chat worker (and the page) against the registers in SwooleGateway:Registers
// The page connects to Chat:WebSocketUrl (default: the gateway's WebSocket listener on this host, ws://HOST:7272/).
bool allInOne = args.Contains("--all-in-one");
WebApplicationBuilder builder = WebApplication.CreateBuilder(new WebApplicationOptions
{
    Args = [.. args.Where(a => a != "--all-in-one")],
    ContentRootPath = AppContext.BaseDirectory,
    WebRootPath = Path.Combine(AppContext.BaseDirectory, "wwwroot"),
});
builder.WebHost.UseUrls(builder.Configuration["Chat:PageUrl"] ?? "http://127.0.0.1:8080");
if (allInOne)
{
    builder.Services.AddSwooleGatewayRegister();
    builder.Services.AddSwooleGatewayGateway();
}

builder.Services.AddSingleton<ChatRooms>();
builder.Services.AddSwooleGatewayWorker<ChatHandler>();

WebApplication app = builder.Build();
app.UseDefaultFiles();
app.UseStaticFiles();

// Where the page's WebSocket goes: configured, or this host's gateway (in all-in-one, the one in this process).
app.MapGet("/config.json", async (HttpContext context, IServiceProvider services) =>
{
    string? url = app.Configuration["Chat:WebSocketUrl"];
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
