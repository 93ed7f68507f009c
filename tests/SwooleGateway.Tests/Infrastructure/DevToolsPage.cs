using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace SwooleGateway.Tests.Infrastructure;

/// <summary>
/// One tab of a headless Chromium, driven over the DevTools protocol (a WebSocket): evaluate JavaScript in the page
/// (fill fields, click buttons, read what the page shows) and take screenshots. Enough to drive a web page the way a
/// user would, without a browser-automation package.
/// </summary>
public sealed partial class DevToolsPage : IAsyncDisposable
{
    private readonly ClientWebSocket _socket;
    private int _nextId;

    private DevToolsPage(ClientWebSocket socket) => _socket = socket;

    /// <summary>Starts a browser whose tabs can be opened with <see cref="OpenAsync"/>; returns it and its DevTools HTTP endpoint.</summary>
    public static async Task<(HeadlessChromium Browser, Uri DevTools)> StartBrowserAsync()
    {
        HeadlessChromium browser = HeadlessChromium.Start("about:blank", "--remote-debugging-port=0", "--remote-allow-origins=*", "--window-size=1100,700");
        Match? found = null;
        await TimeoutExtensions.WaitUntil(() => (found = DevToolsAddress().Match(browser.Stderr)).Success, "chromium to announce its DevTools address", TimeSpan.FromSeconds(30));
        return (browser, new Uri($"http://127.0.0.1:{found!.Groups[1].Value}/"));
    }

    /// <summary>Opens a new tab on <paramref name="url"/>.</summary>
    public static async Task<DevToolsPage> OpenAsync(Uri devTools, string url)
    {
        using var http = new HttpClient();
        using HttpResponseMessage response = await http.PutAsync(new Uri(devTools, "json/new?" + url), null);
        response.EnsureSuccessStatusCode();
        using JsonDocument target = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var socket = new ClientWebSocket();
        await socket.ConnectAsync(new Uri(target.RootElement.GetProperty("webSocketDebuggerUrl").GetString()!), CancellationToken.None).DefaultTimeout();
        var page = new DevToolsPage(socket);
        await page.CallAsync("Emulation.setDeviceMetricsOverride", new { width = 1100, height = 700, deviceScaleFactor = 1, mobile = false });
        return page;
    }

    /// <summary>Evaluates <paramref name="expression"/> in the page (awaiting a promise) and returns its value as JSON.</summary>
    public async Task<JsonElement> EvaluateAsync(string expression)
    {
        JsonElement result = await CallAsync("Runtime.evaluate", new { expression, awaitPromise = true, returnByValue = true });
        if (result.TryGetProperty("exceptionDetails", out JsonElement error))
        {
            throw new InvalidOperationException("page script failed: " + error);
        }

        return result.GetProperty("result").TryGetProperty("value", out JsonElement value) ? value.Clone() : default;
    }

    /// <summary>Waits until <paramref name="condition"/> (a JavaScript expression) is true in the page.</summary>
    public Task WaitForAsync(string condition, string what) =>
        TimeoutExtensions.WaitUntilAsync(async () => (await EvaluateAsync($"!!({condition})")).GetBoolean(), what, TimeSpan.FromSeconds(20));

    /// <summary>The text the element shows (innerText).</summary>
    public async Task<string> TextAsync(string selector) => (await EvaluateAsync($"document.querySelector({JsonSerializer.Serialize(selector)}).innerText")).GetString() ?? "";

    /// <summary>Saves a PNG of what the page shows.</summary>
    public async Task ScreenshotAsync(string path)
    {
        await CallAsync("Page.bringToFront", new { }); // a tab in the background is not painted
        JsonElement shot = await CallAsync("Page.captureScreenshot", new { format = "png" });
        await File.WriteAllBytesAsync(path, Convert.FromBase64String(shot.GetProperty("data").GetString()!));
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await CallAsync("Page.close", new { });
        }
        catch (Exception ex) when (ex is WebSocketException or TimeoutException or OperationCanceledException)
        {
        }

        _socket.Dispose();
    }

    private async Task<JsonElement> CallAsync(string method, object parameters)
    {
        int id = Interlocked.Increment(ref _nextId);
        byte[] request = JsonSerializer.SerializeToUtf8Bytes(new { id, method, @params = parameters });
        await _socket.SendAsync(request, WebSocketMessageType.Text, true, CancellationToken.None).DefaultTimeout();
        var buffer = new byte[1 << 16];
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            using var message = new MemoryStream();
            WebSocketReceiveResult part;
            do
            {
                part = await _socket.ReceiveAsync(buffer, cts.Token);
                message.Write(buffer, 0, part.Count);
            }
            while (!part.EndOfMessage);

            using JsonDocument reply = JsonDocument.Parse(message.ToArray());
            if (reply.RootElement.TryGetProperty("id", out JsonElement replyId) && replyId.GetInt32() == id)
            {
                if (reply.RootElement.TryGetProperty("error", out JsonElement error))
                {
                    throw new InvalidOperationException($"DevTools {method}: {error}");
                }

                return reply.RootElement.GetProperty("result").Clone();
            }
        }
    }

    [GeneratedRegex(@"DevTools listening on ws://127\.0\.0\.1:(\d+)/")]
    private static partial Regex DevToolsAddress();
}
