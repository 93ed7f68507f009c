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

    /// <summary>
    /// The modes of benchmarks/100k.sh at a small scale: two holders (one per gateway of a two-gateway cluster) bind their
    /// clients' uids and groups, the driver broadcasts and sends to every uid and group, and every holder gets exactly
    /// what it expects.
    /// </summary>
    [Test]
    public async Task The_fleet_modes_deliver_everything_across_two_gateways()
    {
        await using TestCluster cluster = await TestCluster.StartAsync(gateways: 2, workers: 1);
        string dir = Directory.CreateTempSubdirectory("fleet-").FullName;
        try
        {
            string Ws(int gateway) => cluster.Gateways[gateway].Server.ListenerEndPoints["ws"].ToString();
            using RoleProcess first = RoleProcess.Start("SwooleGateway.LoadTest", "fleet-hold", "--target", Ws(0), "--connections", "100",
                "--first", "0", "--id", "0", "--dir", dir, "--broadcasts", "2");
            using RoleProcess second = RoleProcess.Start("SwooleGateway.LoadTest", "fleet-hold", "--target", Ws(1), "--connections", "100",
                "--first", "100", "--id", "1", "--dir", dir, "--broadcasts", "2");
            using RoleProcess driver = RoleProcess.Start("SwooleGateway.LoadTest", "fleet-drive", "--target", Ws(0), "--holders", "2",
                "--total", "200", "--dir", dir, "--broadcasts", "2");
            await driver.WaitForOutput("\"targetedSent\"", TimeSpan.FromSeconds(60));
            foreach (RoleProcess holder in new[] { first, second })
            {
                await holder.WaitForOutput("\"broadcast\"", TimeSpan.FromSeconds(60));
                using JsonDocument report = JsonDocument.Parse(holder.Output.Split('\n').Last(l => l.StartsWith('{')));
                JsonElement root = report.RootElement;
                Assert.That(root.GetProperty("bindErrors").GetInt64() + root.GetProperty("errors").GetInt64() + root.GetProperty("disconnected").GetInt64(), Is.Zero, holder.Output);
                foreach ((string kind, long expected) in new[] { ("broadcast", 200L), ("uid", 1L), ("group", 100L) })
                {
                    JsonElement k = root.GetProperty(kind);
                    Assert.That(k.GetProperty("expected").GetInt64(), Is.EqualTo(expected), kind);
                    Assert.That(k.GetProperty("received").GetInt64(), Is.EqualTo(expected), $"{kind}: {holder.Output}");
                }
            }
        }
        finally
        {
            File.WriteAllText(Path.Combine(dir, "stop"), "");
            Directory.Delete(dir, recursive: true);
        }
    }
}
