using System.Text;
using SwooleGateway.Worker;

// An ASP.NET Core app that pushes to connected devices through the gateways, with no worker of its own:
//   dotnet run --project samples/SwooleGateway.Samples.Push -- --urls http://127.0.0.1:5080
//   curl -X POST http://127.0.0.1:5080/push/alice -d 'your order shipped'
// It finds the gateways through the register (SwooleGateway:Registers, default 127.0.0.1:1236) with the shared secret.
WebApplicationBuilder builder = WebApplication.CreateBuilder(args);
builder.Services.AddSwooleGatewayClient();
WebApplication app = builder.Build();

// Push a message to every device of a user.
app.MapPost("/push/{uid}", async (string uid, HttpRequest request, GatewayApi gateway) =>
{
    using var body = new MemoryStream();
    await request.Body.CopyToAsync(body);
    if (!await gateway.IsUidOnline(uid))
    {
        return Results.NotFound(new { uid, online = false });
    }

    await gateway.SendToUid(uid, body.ToArray());
    return Results.Ok(new { uid, online = true, bytes = body.Length });
});

// Push to everyone in a group.
app.MapPost("/groups/{group}/push", async (string group, HttpRequest request, GatewayApi gateway) =>
{
    using var reader = new StreamReader(request.Body, Encoding.UTF8);
    await gateway.SendToGroup(group, await reader.ReadToEndAsync());
    return Results.Accepted();
});

// Who is online.
app.MapGet("/online", async (GatewayApi gateway, CancellationToken ct) => Results.Ok(new
{
    clients = await gateway.GetClientCount(ct),
    uids = await gateway.GetUidCount(cancellationToken: ct),
}));

app.MapGet("/users/{uid}/devices", async (string uid, GatewayApi gateway, CancellationToken ct) =>
{
    var devices = new List<object>();
    await foreach (string client in gateway.GetClientListByUid(uid, cancellationToken: ct))
    {
        ClientInfo? info = await gateway.GetClientInfo(client, SwooleGateway.Protocol.ClientInfoFlags.RemoteAddress | SwooleGateway.Protocol.ClientInfoFlags.System, ct);
        if (info is not null)
        {
            devices.Add(new { client, info.RemoteAddress, info.Transport, info.ConnectedAt });
        }
    }

    return Results.Ok(devices);
});

app.Run();
