using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SwooleGateway.Tests.Infrastructure;

namespace SwooleGateway.Tests;

/// <summary>
/// A real browser: Debian's Chromium, headless, loads a page served by this test; the page opens a WebSocket to the
/// gateway, exchanges text and binary messages through the Echo worker, and posts what it saw back to the test.
/// .ci/run installs chromium when it is missing; where it cannot be installed this test is skipped with a message.
/// </summary>
[TestFixture]
[NonParallelizable]
[CancelAfter(90_000)]
public sealed class BrowserTests
{
    private const string Page = """
        <!doctype html><html><body><pre id="log"></pre><script>
        const seen = [];
        const report = (text) => fetch("/result", { method: "POST", body: text });
        const ws = new WebSocket("ws://GATEWAY/?from=browser");
        ws.onopen = () => {
          ws.send("echo:hello from chromium");
          ws.send(new Uint8Array([101, 99, 104, 111, 58, 1, 2, 255]));
          ws.send("bcast:to everyone");
        };
        ws.onmessage = async (e) => {
          seen.push(typeof e.data === "string" ? "text:" + e.data : "binary:" + new Uint8Array(await e.data.arrayBuffer()).join(","));
          if (seen.length === 3) { await report(seen.join("|")); ws.close(1000, "done"); }
        };
        ws.onerror = () => report("error");
        </script></body></html>
        """;

    [Test]
    public async Task Chromium_talks_to_the_gateway_over_websocket()
    {
        HeadlessChromium.SkipUnlessInstalled();
        await using TestCluster cluster = await TestCluster.StartAsync();
        var result = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        await using WebApplication site = builder.Build();
        string page = Page.Replace("GATEWAY", cluster.WebSocketEndPoint.ToString(), StringComparison.Ordinal);
        site.MapGet("/", () => Results.Content(page, "text/html"));
        site.MapPost("/result", async (HttpRequest request) =>
        {
            using var reader = new StreamReader(request.Body);
            result.TrySetResult(await reader.ReadToEndAsync());
            return Results.Ok();
        });
        await site.StartAsync().DefaultTimeout();
        string url = site.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

        await using HeadlessChromium browser = HeadlessChromium.Start(url + "/");
        string seen = await result.Task.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.That(seen.Split('|'), Is.EquivalentTo(new[]
        {
            "text:echo:hello from chromium",
            "binary:101,99,104,111,58,1,2,255",
            "text:bcast:to everyone",
        }));
        await cluster.Logs.WaitFor("Listener ws");
    }
}
