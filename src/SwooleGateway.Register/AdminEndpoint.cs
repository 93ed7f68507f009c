using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SwooleGateway.Transport;

namespace SwooleGateway.Register;

/// <summary>
/// The register's admin endpoint (opt-in: <c>SwooleGateway:Register:Admin</c>): <c>GET /status.json</c>, the cluster
/// view as JSON, and <c>GET /</c>, a page that shows it and refreshes itself. Plain HTTP on its own Kestrel server,
/// apart from the internal port. On a non-loopback address it requires <c>SwooleGateway:Register:AdminToken</c>
/// (<c>Authorization: Bearer TOKEN</c>, or <c>?token=TOKEN</c> for a browser) and refuses to start without one.
/// </summary>
internal sealed partial class AdminEndpoint : IAsyncDisposable
{
    private readonly WebApplication _app;

    private AdminEndpoint(WebApplication app, IPEndPoint bound)
    {
        _app = app;
        EndPoint = bound;
    }

    public IPEndPoint EndPoint { get; }

    public static async Task<AdminEndpoint> StartAsync(string address, string? token, ClusterView view, string registerId, Func<string> registerAddress,
        ILogger logger, CancellationToken cancellationToken)
    {
        IPEndPoint listen = EndpointParser.ParseListen(address);
        if (!IPAddress.IsLoopback(listen.Address) && string.IsNullOrEmpty(token))
        {
            throw new InvalidOperationException(
                $"SwooleGateway:Register:Admin is {address}, which is not a loopback address: set SwooleGateway:Register:AdminToken to a private value (requests then need 'Authorization: Bearer <token>'), or use 127.0.0.1.");
        }

        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.Sources.Clear(); // its settings are ours, not whatever appsettings.json or ASPNETCORE_ variables say
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(listen);
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestHeadersTotalSize = 16 * 1024;
            kestrel.Limits.MaxRequestBodySize = 0;
        });
        WebApplication app = builder.Build();
        byte[]? expected = string.IsNullOrEmpty(token) ? null : Encoding.UTF8.GetBytes(token);
        app.Use(async (context, next) =>
        {
            if (expected is not null && !Authorized(context.Request, expected))
            {
                Log.Unauthorized(logger, context.Connection.RemoteIpAddress?.ToString() ?? "?", context.Request.Path);
                context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                context.Response.Headers.WWWAuthenticate = "Bearer";
                await context.Response.WriteAsync("401: this admin endpoint needs SwooleGateway:Register:AdminToken as 'Authorization: Bearer <token>' or ?token=<token>\n").ConfigureAwait(false);
                return;
            }

            context.Response.Headers.CacheControl = "no-store";
            await next(context).ConfigureAwait(false);
        });
        app.MapGet("/status.json", async context =>
        {
            context.Response.ContentType = "application/json; charset=utf-8";
            var buffer = new MemoryStream();
            await using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
            {
                view.WriteJson(json, registerId, registerAddress());
            }

            await context.Response.Body.WriteAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length)).ConfigureAwait(false);
        });
        app.MapGet("/", context =>
        {
            context.Response.ContentType = "text/html; charset=utf-8";
            context.Response.Headers.ContentSecurityPolicy = "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'";
            return context.Response.WriteAsync(AdminPage.Html);
        });

        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        string url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var bound = new IPEndPoint(listen.Address, new Uri(url).Port);
        Log.Listening(logger, bound.ToString(), expected is null ? "no token (loopback)" : "token required");
        return new AdminEndpoint(app, bound);
    }

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await _app.StopAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        await _app.DisposeAsync().ConfigureAwait(false);
    }

    private static bool Authorized(HttpRequest request, byte[] expected)
    {
        string? presented = null;
        string authorization = request.Headers.Authorization.ToString();
        if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            presented = authorization["Bearer ".Length..].Trim();
        }
        else if (request.Query.TryGetValue("token", out Microsoft.Extensions.Primitives.StringValues query))
        {
            presented = query.ToString();
        }

        return presented is not null && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), expected);
    }

    private static partial class Log
    {
        [LoggerMessage(2010, LogLevel.Information, "Register admin endpoint on http://{EndPoint}/ (status page; /status.json), {Access}", EventName = "AdminListening")]
        public static partial void Listening(ILogger logger, string endPoint, string access);

        [LoggerMessage(2011, LogLevel.Warning, "Refused an admin request from {Remote} for {Path}: missing or wrong token", EventName = "AdminUnauthorized")]
        public static partial void Unauthorized(ILogger logger, string remote, string path);
    }
}
