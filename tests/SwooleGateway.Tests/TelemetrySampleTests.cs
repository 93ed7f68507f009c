using System.Net;
using SwooleGateway.Tests.Infrastructure;

namespace SwooleGateway.Tests;

/// <summary>
/// Issue 10: the IoT sample, all in one process, with its simulator running 100 devices (binary frames with a 2-byte
/// length over TCP) and its dashboard page in headless Chromium: every device appears with live readings, and leaves
/// the table when its connection closes. Takes the screenshot in the sample's README.
/// </summary>
[TestFixture]
[NonParallelizable]
[CancelAfter(180_000)]
public sealed class TelemetrySampleTests
{
    [Test]
    public async Task The_dashboard_shows_100_simulated_devices_live_and_drops_them_when_they_disconnect()
    {
        HeadlessChromium.SkipUnlessInstalled();
        string sample = Repository.SampleOutput("SwooleGateway.Samples.Telemetry");
        string dll = Path.Combine(sample, "SwooleGateway.Samples.Telemetry.dll");
        int registerPort = Repository.FreePort();
        using RoleProcess server = RoleProcess.StartFile("dotnet", sample, dll, "--all-in-one", "--Telemetry:PageUrl=http://127.0.0.1:0",
            $"--SwooleGateway:Register:Listen=127.0.0.1:{registerPort}", $"--SwooleGateway:Registers:0=127.0.0.1:{registerPort}",
            "--SwooleGateway:Gateway:Internal=127.0.0.1:0", "--SwooleGateway:Gateway:Listeners:0:Endpoint=127.0.0.1:0",
            "--SwooleGateway:Gateway:Listeners:2:Endpoint=127.0.0.1:0", "--Logging:LogLevel:SwooleGateway.Gateway.GatewayServer=Information");
        IPEndPoint devices = await server.WaitForEndPoint("Listener devices (tcp) on ");
        await server.WaitForOutput("Connected to gateway");
        string url = $"http://{await server.WaitForEndPoint("Now listening on: http://")}/";

        using RoleProcess simulator = RoleProcess.StartFile("dotnet", sample, dll, "simulate", "--devices", "100", "--gateway", devices.ToString(), "--interval", "300", "--duration", "120");
        (HeadlessChromium browser, Uri devTools) = await DevToolsPage.StartBrowserAsync();
        await using (browser)
        {
            await using DevToolsPage dashboard = await DevToolsPage.OpenAsync(devTools, url);
            await dashboard.WaitForAsync("document.getElementById('status').innerText === 'live'", "the dashboard to subscribe");
            await dashboard.WaitForAsync("document.querySelectorAll('#table tbody tr').length === 100", "100 devices in the table");
            await dashboard.WaitForAsync("Number(document.getElementById('rate').innerText) > 100", "readings arriving live (about 330/s)");
            Assert.That(await dashboard.TextAsync("#devices"), Is.EqualTo("100"));
            string first = await dashboard.TextAsync("#table tbody tr:first-child td:nth-child(5)");
            await dashboard.WaitForAsync($"document.querySelector('#table tbody tr:first-child td:nth-child(5)').innerText !== '{first}'", "sensor-001's readings to advance");
            Assert.That((await dashboard.TextAsync("#table tbody tr:first-child td:first-child")).Trim(), Is.EqualTo("sensor-001"));
            await dashboard.ScreenshotAsync(Path.Combine(Repository.Root, "samples", "SwooleGateway.Samples.Telemetry", "screenshot.png"));

            // The devices go away: each leaves the table.
            simulator.Kill();
            await dashboard.WaitForAsync("document.querySelectorAll('#table tbody tr').length === 0", "the devices to leave the table");
        }

        Assert.That(server.Output, Does.Not.Contain("Unhandled exception"));
        Assert.That(await server.TerminateAsync(TimeSpan.FromSeconds(30)), Is.Zero);
    }
}
