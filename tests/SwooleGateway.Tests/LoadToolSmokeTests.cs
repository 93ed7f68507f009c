using System.Text.Json;
using SwooleGateway.Tests.Infrastructure;

namespace SwooleGateway.Tests;

/// <summary>
/// A second of each load-tool mode against an in-process cluster: the tool users point at their deployment keeps
/// working (its figures are measured elsewhere, never asserted here).
/// </summary>
[TestFixture]
[CancelAfter(120_000)]
public sealed class LoadToolSmokeTests
{
    private TestCluster _cluster = null!;

    [OneTimeSetUp]
    public async Task SetUp() => _cluster = await TestCluster.StartAsync();

    [OneTimeTearDown]
    public async Task TearDown() => await _cluster.DisposeAsync();

    [TestCase("echo", "ws", 10)]
    [TestCase("echo", "tcp", 10)]
    [TestCase("broadcast", "ws", 20)]
    [TestCase("idle", "tcp", 50)]
    public async Task A_short_run_completes_with_nothing_missing(string mode, string transport, int connections)
    {
        string target = (transport == "tcp" ? _cluster.TcpEndPoint : _cluster.WebSocketEndPoint).ToString();
        using RoleProcess tool = RoleProcess.Start("SwooleGateway.LoadTest", mode, "--target", target, "--transport", transport,
            "--connections", connections.ToString(System.Globalization.CultureInfo.InvariantCulture), "--duration", "1", "--warmup", "0",
            "--window", "2", "--hold", "0", "--pids", Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await tool.WaitForOutput("{\"Mode\"", TimeSpan.FromSeconds(60));
        string json = tool.Output.Split('\n').Last(l => l.StartsWith("{\"Mode\"", StringComparison.Ordinal));
        using JsonDocument result = JsonDocument.Parse(json);
        JsonElement root = result.RootElement;
        Assert.That(root.GetProperty("Errors").GetInt64(), Is.Zero, tool.Output);
        Assert.That(root.GetProperty("Missing").GetInt64(), Is.Zero, tool.Output);
        Assert.That(root.GetProperty("Completed").GetInt64(), mode == "idle" ? Is.EqualTo(connections) : Is.GreaterThan(0), tool.Output);
    }
}
