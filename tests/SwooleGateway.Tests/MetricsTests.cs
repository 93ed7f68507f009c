using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using SwooleGateway.Tests.Infrastructure;

namespace SwooleGateway.Tests;

/// <summary>
/// Issue 11, metrics: every role creates its meter through its host's IMeterFactory, so two roles (or two gateways) in one
/// process each have their own instruments, none duplicated, and the numbers they publish are their own.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class MetricsTests
{
    [Test]
    public async Task Each_role_in_a_process_publishes_its_own_instruments_once_and_counts_its_own_traffic()
    {
        var published = new ConcurrentBag<(Meter Meter, string Name)>();
        var measured = new ConcurrentDictionary<(Meter Meter, string Name), long>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name.StartsWith("SwooleGateway.", StringComparison.Ordinal))
                {
                    published.Add((instrument.Meter, instrument.Name));
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, _, _) => measured.AddOrUpdate((instrument.Meter, instrument.Name), value, (_, sum) => sum + value));
        listener.Start();

        await using TestCluster cluster = await TestCluster.StartAsync(gateways: 2, workers: 1);
        using TcpTestClient client = await TcpTestClient.ConnectAsync(cluster.Gateways[0].Server.ListenerEndPoints["tcp"]);
        for (int i = 0; i < 3; i++)
        {
            await client.SendAsync("echo:" + i);
            Assert.That(await client.ReceiveAsync(), Is.EqualTo("echo:" + i));
        }

        // Only this cluster's meters (other tests' hosts may still be alive): a factory-made meter's Scope is its factory.
        Microsoft.Extensions.Hosting.IHost[] hosts = [cluster.RegisterHost!, .. cluster.Gateways.Select(g => g.Host), .. cluster.Workers.Select(w => w.Host)];
        var factories = new HashSet<object>(hosts.Select(h => (object)h.Services.GetRequiredService<IMeterFactory>()));
        var mine = published.Where(p => p.Meter.Scope is { } scope && factories.Contains(scope)).ToList();
        var duplicates = mine.GroupBy(p => p).Where(g => g.Count() > 1).Select(g => $"{g.Key.Meter.Name}/{g.Key.Name}").ToList();
        Assert.That(duplicates, Is.Empty, "no instrument published twice on one meter");
        Meter[] gatewayMeters = [.. mine.Where(p => p.Meter.Name == "SwooleGateway.Gateway").Select(p => p.Meter).Distinct()];
        Assert.That(gatewayMeters, Has.Length.EqualTo(2), "one gateway meter per gateway (per host), not a static one");
        Assert.That(mine.Select(p => p.Meter.Name).Distinct(), Is.SupersetOf(new[] { "SwooleGateway.Register", "SwooleGateway.Gateway", "SwooleGateway.Worker" }));

        // The gateway the client used counted its messages; the other counted none.
        long[] messagesIn = [.. gatewayMeters.Select(m => measured.GetValueOrDefault((m, "swoolegateway.gateway.messages_in")))];
        Assert.That(messagesIn.Order(), Is.EqualTo(new long[] { 0, 3 }));
    }
}
