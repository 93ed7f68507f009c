using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SwooleGateway.Gateway;
using SwooleGateway.Tests.Infrastructure;

namespace SwooleGateway.Tests;

/// <summary>
/// Listener settings merge, entry by entry, with the default listener at the same index: overriding one option of a
/// default listener keeps its other options and the other listeners (the README's example overrides only
/// <c>Listeners:0:Endpoint</c>). These cases read the options only; the last one binds real sockets on port 0.
/// </summary>
[TestFixture]
[CancelAfter(60_000)]
public sealed class ListenerConfigurationTests
{
    [Test]
    public void No_listener_settings_give_the_two_defaults()
    {
        IReadOnlyList<ListenerOptions> listeners = Listeners([]);
        Assert.That(Describe(listeners), Is.EqualTo(new[] { "ws WebSocket 127.0.0.1:7272", "tcp Tcp 127.0.0.1:7273" }));
    }

    [Test]
    public void Overriding_the_websocket_endpoint_keeps_the_tcp_listener()
    {
        IReadOnlyList<ListenerOptions> listeners = Listeners(new() { ["SwooleGateway:Gateway:Listeners:0:Endpoint"] = "0.0.0.0:8282" });
        Assert.That(Describe(listeners), Is.EqualTo(new[] { "ws WebSocket 0.0.0.0:8282", "tcp Tcp 127.0.0.1:7273" }));
    }

    [Test]
    public void Overriding_the_tcp_endpoint_keeps_it_a_tcp_listener_beside_the_websocket_one()
    {
        // Before the merge this made a second WebSocket listener named like the first, and the gateway refused to start.
        IReadOnlyList<ListenerOptions> listeners = Listeners(new() { ["SwooleGateway:Gateway:Listeners:1:Endpoint"] = "0.0.0.0:7273" });
        Assert.That(Describe(listeners), Is.EqualTo(new[] { "ws WebSocket 127.0.0.1:7272", "tcp Tcp 0.0.0.0:7273" }));
    }

    [Test]
    public void A_listener_configured_in_full_at_index_0_keeps_the_default_tcp_listener_and_its_own_options()
    {
        IReadOnlyList<ListenerOptions> listeners = Listeners(new()
        {
            ["SwooleGateway:Gateway:Listeners:0:Name"] = "wss",
            ["SwooleGateway:Gateway:Listeners:0:Endpoint"] = "0.0.0.0:443",
            ["SwooleGateway:Gateway:Listeners:0:Path"] = "/ws",
            ["SwooleGateway:Gateway:Listeners:0:Tls:CertificatePath"] = "/etc/ssl/gw.pfx",
            ["SwooleGateway:Gateway:Listeners:0:SubProtocols:0"] = "chat.v1",
        });
        Assert.That(Describe(listeners), Is.EqualTo(new[] { "wss WebSocket 0.0.0.0:443", "tcp Tcp 127.0.0.1:7273" }));
        Assert.That(listeners[0].Path, Is.EqualTo("/ws"));
        Assert.That(listeners[0].Tls?.CertificatePath, Is.EqualTo("/etc/ssl/gw.pfx"));
        Assert.That(listeners[0].SubProtocols, Is.EqualTo(new[] { "chat.v1" }));
    }

    [Test]
    public void Enabled_false_removes_a_default_listener_and_extra_entries_start_blank()
    {
        IReadOnlyList<ListenerOptions> listeners = Listeners(new()
        {
            ["SwooleGateway:Gateway:Listeners:1:Enabled"] = "false",
            ["SwooleGateway:Gateway:Listeners:3:Name"] = "frame",
            ["SwooleGateway:Gateway:Listeners:3:Protocol"] = "Tcp",
            ["SwooleGateway:Gateway:Listeners:3:Framing"] = "LengthPrefixed",
            ["SwooleGateway:Gateway:Listeners:3:Endpoint"] = "0.0.0.0:7274",
        });
        Assert.That(Describe(listeners), Is.EqualTo(new[] { "ws WebSocket 127.0.0.1:7272", "frame Tcp 0.0.0.0:7274" }));
        Assert.That(listeners[1].Framing, Is.EqualTo(TcpFraming.LengthPrefixed));
    }

    [Test]
    public void A_listener_entry_that_is_not_numbered_is_refused_with_what_to_write()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => Listeners(new() { ["SwooleGateway:Gateway:Listeners:ws:Endpoint"] = "0.0.0.0:7272" }));
        Assert.That(ex!.Message, Does.Contain("Listeners:ws").And.Contain("Listeners:0:Endpoint=").And.Contain("Name"));
    }

    [Test]
    public async Task A_gateway_with_only_its_listener_endpoints_overridden_serves_websocket_and_tcp()
    {
        await using TestCluster cluster = await TestCluster.StartAsync(gateways: 0, workers: 0);
        var logs = new LogSink();
        HostApplicationBuilder builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["SwooleGateway:Secret"] = TestCluster.Secret,
            ["SwooleGateway:Registers:0"] = cluster.RegisterEndPoint.ToString(),
            ["SwooleGateway:Gateway:Internal"] = "127.0.0.1:0",
            ["SwooleGateway:Gateway:Listeners:0:Endpoint"] = "127.0.0.1:0",
            ["SwooleGateway:Gateway:Listeners:1:Endpoint"] = "127.0.0.1:0",
        });
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(logs);
        builder.Services.AddSwooleGatewayGateway();
        using IHost host = builder.Build();
        await host.StartAsync().DefaultTimeout();
        try
        {
            GatewayServer gateway = host.Services.GetRequiredService<GatewayServer>();
            await gateway.Ready.DefaultTimeout();
            Assert.That(gateway.ListenerEndPoints.Keys, Is.EquivalentTo(new[] { "ws", "tcp" }));
            Assert.That(logs.Contains("Listener ws (websocket)") && logs.Contains("Listener tcp (tcp)"), Is.True, string.Join('\n', logs.Lines));
        }
        finally
        {
            await host.StopAsync().DefaultTimeout();
        }
    }

    private static IReadOnlyList<ListenerOptions> Listeners(Dictionary<string, string?> settings)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        services.AddLogging();
        services.AddSwooleGatewayGateway();
        using ServiceProvider provider = services.BuildServiceProvider();
        return provider.GetRequiredService<IOptions<GatewayOptions>>().Value.EffectiveListeners;
    }

    private static string[] Describe(IReadOnlyList<ListenerOptions> listeners) =>
        [.. listeners.Select(l => $"{l.DisplayName} {l.Protocol} {l.Endpoint}")];
}
