using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using SwooleGateway.Register;
using SwooleGateway.Tests.Infrastructure;

namespace SwooleGateway.Tests;

/// <summary>
/// Issue 11, acceptance 4: the register keeps the cluster view from the status reports of gateways and workers and
/// serves it on its admin endpoint as JSON and as a page (checked in headless Chromium); <c>status</c> prints it.
/// </summary>
[TestFixture]
[CancelAfter(120_000)]
public sealed class ClusterStatusTests
{
    private const string Token = "admin-token-5d1e";

    [Test]
    public async Task The_admin_json_the_status_command_and_the_page_show_every_gateway_and_worker_with_their_numbers()
    {
        await using TestCluster cluster = await StartCluster(token: null);
        IPEndPoint admin = (await cluster.Register!.AdminEndPoint.DefaultTimeout())!;
        List<TcpTestClient> clients = [];
        try
        {
            for (int i = 0; i < 3; i++)
            {
                clients.Add(await TcpTestClient.ConnectAsync(cluster.Gateways[0].Server.ListenerEndPoints["tcp"]));
                await clients[^1].SendAsync("echo:" + i);
                Assert.That(await clients[^1].ReceiveAsync(), Is.EqualTo("echo:" + i));
            }

            using var http = new HttpClient();
            JsonElement status = default;
            await TimeoutExtensions.WaitUntilAsync(async () =>
            {
                status = JsonDocument.Parse(await http.GetStringAsync($"http://{admin}/status.json")).RootElement.Clone();
                return status.GetProperty("totals").GetProperty("connections").GetInt64() == 3
                    && Nodes(status, "worker").All(n => n.GetProperty("values").TryGetProperty("events_total", out JsonElement e) && e.GetInt64() >= 1);
            }, "the reports to show 3 connections and both workers' events");

            JsonElement totals = status.GetProperty("totals");
            Assert.That(totals.GetProperty("gateways").GetInt32(), Is.EqualTo(2));
            Assert.That(totals.GetProperty("workers").GetInt32(), Is.EqualTo(2));
            Assert.That(Nodes(status, "gateway").Select(n => n.GetProperty("address").GetString()),
                Is.EquivalentTo(cluster.Gateways.Select(g => g.Server.AdvertisedEndPoint.ToString())));
            JsonElement first = Nodes(status, "gateway").Single(n => n.GetProperty("nodeId").GetString() == cluster.Gateways[0].Server.GatewayId);
            Assert.That(first.GetProperty("values").GetProperty("connections").GetInt64(), Is.EqualTo(3));
            Assert.That(first.GetProperty("values").GetProperty("workers").GetInt64(), Is.EqualTo(2));
            Assert.That(first.GetProperty("values").GetProperty("events_total").GetInt64(), Is.GreaterThanOrEqualTo(6), "3 connects and 3 messages");
            Assert.That(first.GetProperty("version").GetString(), Is.Not.Empty);
            Assert.That(first.GetProperty("startedMs").GetInt64(), Is.InRange(DateTimeOffset.UtcNow.AddHours(-1).ToUnixTimeMilliseconds(), DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()));
            Assert.That(Nodes(status, "worker").Select(n => n.GetProperty("nodeId").GetString()), Is.EquivalentTo(new[] { "worker-plain", "worker-iot" }));
            JsonElement iot = Nodes(status, "worker").Single(n => n.GetProperty("nodeId").GetString() == "worker-iot");
            Assert.That(iot.GetProperty("tags").EnumerateArray().Select(t => t.GetString()), Is.EqualTo(new[] { "iot" }));
            Assert.That(iot.GetProperty("values").GetProperty("gateways").GetInt64(), Is.EqualTo(2));

            // The status command prints the same view as tables.
            var output = new StringWriter();
            var error = new StringWriter();
            IConfiguration config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["SwooleGateway:Register:Admin"] = admin.ToString() }).Build();
            Assert.That(await StatusCommand.RunAsync(config, output, error), Is.Zero, error.ToString());
            string table = output.ToString();
            TestContext.Out.WriteLine(table);
            Assert.That(table, Does.Contain("Cluster: 2 gateways, 2 workers"));
            Assert.That(table, Does.Contain("3 connections"));
            Assert.That(table, Does.Contain(cluster.Gateways[0].Server.GatewayId).And.Contain(cluster.Gateways[1].Server.GatewayId));
            Assert.That(table, Does.Contain("worker-iot").And.Contain("worker-plain"));

            // A client that leaves and a worker that stops leave the view.
            clients[0].Dispose();
            clients.RemoveAt(0);
            await cluster.StopAsync(cluster.Workers[1].Host);
            await TimeoutExtensions.WaitUntilAsync(async () =>
            {
                status = JsonDocument.Parse(await http.GetStringAsync($"http://{admin}/status.json")).RootElement.Clone();
                return status.GetProperty("totals").GetProperty("connections").GetInt64() == 2 && status.GetProperty("totals").GetProperty("workers").GetInt32() == 1;
            }, "the view to follow the client and the worker that left");
        }
        finally
        {
            clients.ForEach(c => c.Dispose());
        }
    }

    [Test]
    public async Task The_status_page_renders_the_cluster_in_chromium()
    {
        HeadlessChromium.SkipUnlessInstalled();
        await using TestCluster cluster = await StartCluster(token: Token);
        IPEndPoint admin = (await cluster.Register!.AdminEndPoint.DefaultTimeout())!;
        using TcpTestClient client = await TcpTestClient.ConnectAsync(cluster.Gateways[0].Server.ListenerEndPoints["tcp"]);
        await client.SendAsync("echo:x");
        Assert.That(await client.ReceiveAsync(), Is.EqualTo("echo:x"));
        await TimeoutExtensions.WaitUntilAsync(async () =>
        {
            using var http = new HttpClient();
            string json = await http.GetStringAsync($"http://{admin}/status.json?token={Token}");
            return JsonDocument.Parse(json).RootElement.GetProperty("totals").GetProperty("connections").GetInt64() == 1;
        }, "the view to show the client");

        string dom = await HeadlessChromium.DumpDomAsync($"http://{admin}/?token={Token}", TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(60));
        Assert.That(dom, Does.Contain("2 gateways, 2 workers"), dom);
        Assert.That(dom, Does.Contain(cluster.Gateways[0].Server.GatewayId));
        Assert.That(dom, Does.Contain(cluster.Gateways[1].Server.AdvertisedEndPoint.ToString()));
        Assert.That(dom, Does.Contain("worker-iot").And.Contain("worker-plain"));
        Assert.That(dom, Does.Contain("<div id=\"error\"></div>"), "no fetch error shown");

        string refused = await HeadlessChromium.DumpDomAsync($"http://{admin}/", TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(60));
        Assert.That(refused, Does.Contain("401"), "no token, no page");
    }

    [Test]
    public async Task The_admin_endpoint_wants_its_token_and_survives_garbage()
    {
        await using TestCluster cluster = await StartCluster(token: Token);
        IPEndPoint admin = (await cluster.Register!.AdminEndPoint.DefaultTimeout())!;
        using var http = new HttpClient();
        Assert.That((await http.GetAsync($"http://{admin}/status.json")).StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That((await http.GetAsync($"http://{admin}/status.json?token=wrong")).StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        await cluster.Logs.WaitFor("Refused an admin request");

        using (var garbage = new TcpClient())
        {
            await garbage.ConnectAsync(admin.Address, admin.Port);
            await garbage.GetStream().WriteAsync(Encoding.ASCII.GetBytes("\x01\x02 NOT HTTP AT ALL\r\n\r\n"));
            byte[] buffer = new byte[1024];
            int n = await garbage.GetStream().ReadAsync(buffer).AsTask().DefaultTimeout();
            Assert.That(Encoding.ASCII.GetString(buffer, 0, n), Does.StartWith("HTTP/1.1 400"));
        }

        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://{admin}/status.json");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        HttpResponseMessage ok = await http.SendAsync(request);
        Assert.That(ok.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(ok.Headers.CacheControl?.NoStore, Is.True);

        // The status command with the wrong token says why.
        var error = new StringWriter();
        IConfiguration config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["SwooleGateway:Register:Admin"] = admin.ToString(),
            ["SwooleGateway:Register:AdminToken"] = "wrong",
        }).Build();
        Assert.That(await StatusCommand.RunAsync(config, new StringWriter(), error), Is.EqualTo(1));
        Assert.That(error.ToString(), Does.Contain("401"));
    }

    [Test]
    public void An_admin_endpoint_off_loopback_without_a_token_is_refused_with_what_to_write()
    {
        var error = Assert.ThrowsAsync<InvalidOperationException>(() => AdminEndpoint.StartAsync("0.0.0.0:0", null, new ClusterView(), "register-x", () => "",
            Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, CancellationToken.None))!;
        Assert.That(error.Message, Does.Contain("SwooleGateway:Register:AdminToken"));
    }

    [Test]
    public async Task The_status_command_without_an_admin_endpoint_says_how_to_enable_one()
    {
        var error = new StringWriter();
        Assert.That(await StatusCommand.RunAsync(new ConfigurationBuilder().Build(), new StringWriter(), error), Is.EqualTo(1));
        Assert.That(error.ToString(), Does.Contain("SwooleGateway:Register:Admin=127.0.0.1:1237"));
    }

    private static async Task<TestCluster> StartCluster(string? token)
    {
        var cluster = new TestCluster();
        try
        {
            await cluster.StartRegisterAsync(settings: new()
            {
                ["SwooleGateway:Register:Admin"] = "127.0.0.1:0",
                ["SwooleGateway:Register:AdminToken"] = token,
            });
            await cluster.StartGatewayAsync();
            await cluster.StartGatewayAsync();
            await cluster.StartWorkerAsync<EchoSample.EchoHandler>(settings: new() { ["SwooleGateway:Worker:Name"] = "worker-plain" });
            await cluster.StartWorkerAsync<EchoSample.EchoHandler>(settings: new() { ["SwooleGateway:Worker:Name"] = "worker-iot", ["SwooleGateway:Worker:Tags:0"] = "iot" });
            await cluster.WaitConnectedAsync();
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    private static IEnumerable<JsonElement> Nodes(JsonElement status, string role) =>
        status.GetProperty("nodes").EnumerateArray().Where(n => n.GetProperty("role").GetString() == role);
}
