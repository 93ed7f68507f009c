using System.IO.Compression;
using System.Net;
using System.Xml.Linq;
using SwooleGateway.Tests.Infrastructure;

namespace SwooleGateway.Tests;

/// <summary>
/// Issue 10, acceptance 1 and 2, the path a new user takes from a package feed: <c>dotnet pack</c> of the repository
/// produces exactly the six packages (with symbols, license, readme, description, XML docs); then, offline from that
/// folder: <c>dotnet new swoolegateway-worker</c> from the installed template, its build against the packages, the tool
/// installed with <c>--tool-path</c>, <c>swoolegateway register</c>, <c>swoolegateway gateway</c> and the new worker as
/// three processes, and a WebSocket message echoed back. Packs with a version of its own (a prerelease stamp) so the
/// machine's package cache never serves an older build, and removes that version from the cache afterwards.
/// </summary>
[TestFixture]
[NonParallelizable]
[CancelAfter(600_000)]
public sealed class PackageTests
{
    private static readonly string[] Expected =
        ["SwooleGateway.Core", "SwooleGateway.Worker", "SwooleGateway.Gateway", "SwooleGateway.Register", "SwooleGateway.Tool", "SwooleGateway.Templates"];

    private string _root = "";
    private string _work = "";
    private string _feed = "";
    private string _version = "";
    private readonly List<RoleProcess> _processes = [];

    [OneTimeSetUp]
    public async Task Pack()
    {
        _root = Repository.Root;
        _work = Directory.CreateTempSubdirectory("sgw-packages-").FullName;
        _feed = Path.Combine(_work, "feed");
        _version = $"0.9.0-test.{DateTime.UtcNow:yyyyMMddHHmmss}";
        await Run(_root, "dotnet", "pack", "SwooleGateway.sln", "-c", "Release", "-o", _feed, $"-p:Version={_version}", "-nodeReuse:false");
    }

    [OneTimeTearDown]
    public void CleanUp()
    {
        foreach (RoleProcess process in _processes)
        {
            process.Dispose();
        }

        string cache = Environment.GetEnvironmentVariable("NUGET_PACKAGES") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        foreach (string id in Expected)
        {
            string cached = Path.Combine(cache, id.ToLowerInvariant(), _version);
            if (Directory.Exists(cached))
            {
                Directory.Delete(cached, recursive: true);
            }
        }

        if (Directory.Exists(_work))
        {
            Directory.Delete(_work, recursive: true);
        }
    }

    [Test]
    public void Pack_produces_exactly_the_six_packages_each_with_license_readme_description_and_docs()
    {
        string[] packages = [.. Directory.GetFiles(_feed, "*.nupkg").Select(Path.GetFileName).Order()!];
        Assert.That(packages, Is.EquivalentTo(Expected.Select(id => $"{id}.{_version}.nupkg")));
        string[] symbols = [.. Directory.GetFiles(_feed, "*.snupkg").Select(Path.GetFileName)!];
        Assert.That(symbols, Is.EquivalentTo(Expected.Where(id => id != "SwooleGateway.Templates").Select(id => $"{id}.{_version}.snupkg")), "symbols for every package with code");

        foreach (string id in Expected)
        {
            using ZipArchive zip = ZipFile.OpenRead(Path.Combine(_feed, $"{id}.{_version}.nupkg"));
            XElement nuspec = XDocument.Load(zip.GetEntry($"{id}.nuspec")!.Open()).Root!;
            XNamespace ns = nuspec.Name.Namespace; // the nuspec schema version NuGet chose
            XElement metadata = nuspec.Element(ns + "metadata")!;
            Assert.That(metadata.Element(ns + "license")?.Value, Is.EqualTo("Apache-2.0"), id);
            Assert.That(metadata.Element(ns + "license")?.Attribute("type")?.Value, Is.EqualTo("expression"), id);
            Assert.That(metadata.Element(ns + "description")?.Value, Has.Length.GreaterThan(80), id + ": says when to take it");
            Assert.That(metadata.Element(ns + "readme")?.Value, Is.EqualTo("README.md"), id);
            Assert.That(zip.GetEntry("README.md"), Is.Not.Null, id);
            Assert.That(metadata.Element(ns + "tags")?.Value, Does.Contain("websocket"), id);
            if (id is not ("SwooleGateway.Tool" or "SwooleGateway.Templates"))
            {
                Assert.That(zip.GetEntry($"lib/net10.0/{id}.dll"), Is.Not.Null, id);
                Assert.That(zip.GetEntry($"lib/net10.0/{id}.xml"), Is.Not.Null, id + ": XML documentation");
            }
        }

        using ZipArchive tool = ZipFile.OpenRead(Path.Combine(_feed, $"SwooleGateway.Tool.{_version}.nupkg"));
        Assert.That(tool.Entries.Select(e => e.FullName), Has.Some.EndsWith("DotnetToolSettings.xml"), "a dotnet tool");
    }

    [Test]
    public async Task From_the_template_and_the_tool_to_an_echo_over_websocket_with_three_processes()
    {
        // 1. The template, installed in a template cache of its own, creates the worker.
        string hive = Path.Combine(_work, "hive");
        string app = Path.Combine(_work, "MyWorker");
        await Run(_work, "dotnet", "new", "install", Path.Combine(_feed, $"SwooleGateway.Templates.{_version}.nupkg"), "--debug:custom-hive", hive);
        await Run(_work, "dotnet", "new", "swoolegateway-worker", "-n", "MyWorker", "-o", app, "--debug:custom-hive", hive);
        Assert.That(File.ReadAllText(Path.Combine(app, "MyWorker.csproj")), Does.Contain($"Version=\"{_version}\""), "the template references this build");

        // 2. It builds against the packages in the folder feed.
        File.WriteAllText(Path.Combine(app, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="swoolegateway-local" value="{_feed}" />
              </packageSources>
            </configuration>
            """);
        await Run(app, "dotnet", "build", "-nodeReuse:false");
        Assert.That(File.ReadAllText(Path.Combine(app, "bin", "Debug", "net10.0", "MyWorker.runtimeconfig.json")),
            Does.Contain("\"System.Threading.ThreadPool.UnfairSemaphoreSpinLimit\": 10"), "the template's worker spins less when idle (docs/operations.md)");

        // 3. The tool, installed into a folder of its own, runs the register and the gateway.
        string tools = Path.Combine(_work, "tools");
        await Run(_work, "dotnet", "tool", "install", "SwooleGateway.Tool", "--tool-path", tools, "--add-source", _feed, "--version", _version);
        string swoolegateway = Path.Combine(tools, "swoolegateway");
        RoleProcess register = Start(swoolegateway, _work, "register", "--SwooleGateway:Register:Listen=127.0.0.1:0");
        IPEndPoint registerEndPoint = await register.WaitForEndPoint("Register listening on ");
        RoleProcess gateway = Start(swoolegateway, _work, "gateway", $"--SwooleGateway:Registers:0={registerEndPoint}", "--SwooleGateway:Gateway:Internal=127.0.0.1:0",
            "--SwooleGateway:Gateway:Listeners:0:Endpoint=127.0.0.1:0", "--SwooleGateway:Gateway:Listeners:1:Endpoint=127.0.0.1:0");
        IPEndPoint ws = await gateway.WaitForEndPoint("Listener ws (websocket) on ");

        // 4. The new worker, as the third process; a WebSocket client gets its message back.
        RoleProcess worker = Start("dotnet", app, Path.Combine(app, "bin", "Debug", "net10.0", "MyWorker.dll"), $"--SwooleGateway:Registers:0={registerEndPoint}");
        await gateway.WaitForOutput("(1 workers)");
        await using WsTestClient client = await WsTestClient.ConnectAsync(ws);
        await client.SendAsync("hello from a new worker");
        Assert.That(await client.ReceiveAsync(), Is.EqualTo("hello from a new worker"), worker.Output);

        Assert.That(await gateway.TerminateAsync(TimeSpan.FromSeconds(30)), Is.Zero);
        Assert.That(await register.TerminateAsync(TimeSpan.FromSeconds(30)), Is.Zero);

        // The tool's own help and errors.
        RoleProcess help = Start(swoolegateway, _work, "gateway", "--help");
        Assert.That(await help.WaitForExitAsync(TimeSpan.FromSeconds(30)), Is.Zero);
        Assert.That(help.Output, Does.Contain("--SwooleGateway:Gateway:AdvertiseAddress"));
        RoleProcess wrong = Start(swoolegateway, _work, "gateway", "--SwooleGateway:Gateway:Routing:Strategy=ConsistentHash", "--SwooleGateway:Gateway:Routing:Key=room");
        Assert.That(await wrong.WaitForExitAsync(TimeSpan.FromSeconds(30)), Is.EqualTo(1));
        Assert.That(wrong.Output, Does.Contain("stderr: gateway: SwooleGateway:Gateway:Routing:Key is 'room'; write 'uid'"));
    }

    private RoleProcess Start(string file, string folder, params string[] args)
    {
        RoleProcess process = RoleProcess.StartFile(file, folder, args);
        _processes.Add(process);
        return process;
    }

    private async Task Run(string folder, string file, params string[] args)
    {
        RoleProcess process = Start(file, folder, args);
        int exit = await process.WaitForExitAsync(TimeSpan.FromMinutes(5));
        Assert.That(exit, Is.Zero, $"{file} {string.Join(' ', args)}:\n{process.Output}");
    }
}
