using EchoSample;
using Microsoft.Extensions.Hosting;
using SwooleGateway.Tests.Infrastructure;

namespace SwooleGateway.Tests;

/// <summary>
/// Issue 11, acceptance 5: the cluster secret rotates without downtime. <c>SwooleGateway:Secrets</c> lists the current
/// secret (a node proves itself with it) and the previous one (still accepted); it is read at every handshake, so the
/// three steps ([old, new] everywhere, then [new, old], then [new]) are configuration reloads: no link drops, and at
/// every step a node that has just been configured can join.
/// </summary>
[TestFixture]
[CancelAfter(120_000)]
public sealed class SecretRotationTests
{
    private const string Old = TestCluster.Secret;
    private const string New = "rotated-secret-b41c";

    [Test]
    public async Task A_secret_rotates_in_three_reloads_with_no_dropped_link_and_new_nodes_join_at_every_step()
    {
        await using TestCluster cluster = await TestCluster.StartAsync(gateways: 1, workers: 1);
        using TcpTestClient client = await TcpTestClient.ConnectAsync(cluster.TcpEndPoint);
        await Echo(client, "before");

        string[][] steps = [[Old, New], [New, Old], [New]];
        foreach (string[] secrets in steps)
        {
            // A rolling change, as an operator makes it: first a gateway and a worker configured for this step join the
            // nodes still at the step before (every direction of handshake between the two), then the others reload.
            List<IHost> before = [cluster.RegisterHost!, .. cluster.Gateways.Select(g => g.Host), .. cluster.Workers.Select(w => w.Host)];
            await cluster.StartGatewayAsync(Settings(secrets));
            await cluster.StartWorkerAsync<EchoHandler>(settings: Settings(secrets));
            await cluster.WaitConnectedAsync();
            foreach (IHost host in before)
            {
                Rotate(host, secrets);
            }

            await Echo(client, "step " + string.Join('+', secrets));
        }

        Assert.That(cluster.Logs.Contains("authenticated with SwooleGateway:Secrets[1]"), Is.True, "in step 2, old and new nodes met with their second secrets");
        Assert.That(cluster.Logs.Lines.Where(l => l.Contains(" disconnected: ", StringComparison.Ordinal) || l.Contains("Lost ", StringComparison.Ordinal)), Is.Empty,
            "no link dropped during the rotation");
        Assert.That(cluster.Workers[0].Service.GatewayCount, Is.EqualTo(cluster.Gateways.Count), "the first worker kept its link and reached the new gateways");

        // Done: the old secret is no longer accepted anywhere.
        await cluster.StartWorkerAsync<EchoHandler>(settings: Settings([Old]));
        await cluster.Logs.WaitFor("wrong secret");
    }

    [Test]
    public void The_development_secret_is_refused_off_loopback_in_the_list_too()
    {
        var options = new SwooleGateway.Options.SwooleGatewayOptions { Secrets = ["private-one", SwooleGateway.Options.SwooleGatewayOptions.DevelopmentSecret] };
        Assert.Throws<InvalidOperationException>(() => options.Validate("0.0.0.0:2900"));
        Assert.That(new SwooleGateway.Options.SwooleGatewayOptions { Secrets = ["", "b"] }.EffectiveSecrets, Is.EqualTo(new[] { "b" }));
        Assert.That(new SwooleGateway.Options.SwooleGatewayOptions { Secret = "a" }.EffectiveSecrets, Is.EqualTo(new[] { "a" }));
    }

    [Test]
    public void A_reload_cannot_bring_in_the_development_secret()
    {
        string dev = SwooleGateway.Options.SwooleGatewayOptions.DevelopmentSecret;
        var options = new SwooleGateway.Options.SwooleGatewayOptions { Secrets = ["private-one"], LiveSecrets = () => [dev, "private-one"] };
        Assert.That(options.CurrentSecrets, Is.EqualTo(new[] { "private-one" }), "the reloaded list with the development secret is ignored");
        options.LiveSecrets = () => ["private-two", "private-one"];
        Assert.That(options.CurrentSecrets, Is.EqualTo(new[] { "private-two", "private-one" }));
        var development = new SwooleGateway.Options.SwooleGatewayOptions { LiveSecrets = () => [dev, "x"] };
        Assert.That(development.CurrentSecrets, Is.EqualTo(new[] { dev, "x" }), "a node that started with it (loopback) may keep it");
    }

    private static Dictionary<string, string?> Settings(string[] secrets)
    {
        var settings = new Dictionary<string, string?>();
        for (int i = 0; i < secrets.Length; i++)
        {
            settings[$"SwooleGateway:Secrets:{i}"] = secrets[i];
        }

        return settings;
    }

    /// <summary>An operator edits the node's configuration: the new list, and no entry left over from the longer one.</summary>
    private static void Rotate(IHost host, string[] secrets) =>
        TestCluster.Reconfigure(host, new Dictionary<string, string?>
        {
            ["SwooleGateway:Secrets:0"] = secrets.Length > 0 ? secrets[0] : null,
            ["SwooleGateway:Secrets:1"] = secrets.Length > 1 ? secrets[1] : null,
        });

    private static async Task Echo(TcpTestClient client, string text)
    {
        await client.SendAsync("echo:" + text);
        Assert.That(await client.ReceiveAsync(), Is.EqualTo("echo:" + text));
    }
}
