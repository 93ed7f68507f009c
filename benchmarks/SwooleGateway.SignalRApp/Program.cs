using Microsoft.AspNetCore.SignalR;

// ASP.NET Core SignalR with the same semantics as the Echo sample's hot commands, for the comparison:
// Echo(text) answers the caller, Broadcast(text) goes to everyone, Count() returns the connection count.
// Messages go out as the client method "m". One process, no scale-out.
//   dotnet run -c Release --project benchmarks/SwooleGateway.SignalRApp -- --urls http://127.0.0.1:7500
WebApplicationBuilder builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.Services.AddSignalR();
WebApplication app = builder.Build();
app.MapHub<LoadHub>("/hub");
app.Run();

public sealed class LoadHub : Hub
{
    private static int s_connections;

    public override Task OnConnectedAsync()
    {
        Interlocked.Increment(ref s_connections);
        return Task.CompletedTask;
    }

    public override Task OnDisconnectedAsync(Exception? exception)
    {
        Interlocked.Decrement(ref s_connections);
        return Task.CompletedTask;
    }

    public Task Echo(string message) => Clients.Caller.SendAsync("m", message);

    public Task Broadcast(string message) => Clients.All.SendAsync("m", message);

    public int Count() => Volatile.Read(ref s_connections);
}
