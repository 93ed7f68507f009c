using SwooleGateway.Gateway.Clients;
using SwooleGateway.Tests.Protocol;

namespace SwooleGateway.Tests;

/// <summary>
/// The client store does not hold its lock while a fan-out walks a group or a uid: binds, joins and closes of other
/// clients go on meanwhile (a 10,000-member group send used to make all of them wait).
/// </summary>
[TestFixture]
[CancelAfter(30_000)]
public sealed class ClientStoreTests
{
    [Test]
    public async Task Joins_binds_and_closes_go_on_while_a_fan_out_walks_a_group()
    {
        await using var gateway = new GatewayHarness();
        ClientStore store = gateway.Store;
        store.JoinGroup(gateway.Client(41), "room");
        store.JoinGroup(gateway.Client(42), "room");

        var walked = new List<ulong>();
        bool othersWentOn = true;
        var state = 0;
        store.ForEachOfGroup("room", ref state, (ClientConnection member, ref int _) =>
        {
            walked.Add(member.Id);
            if (walked.Count > 1)
            {
                return;
            }

            // In the middle of the walk (a send to each member would be here), other threads change the tables.
            Task others = Task.Run(() =>
            {
                Assert.That(store.JoinGroup(gateway.Client(43), "room"), Is.True);
                Assert.That(store.BindUid(gateway.Client(43), "carol"), Is.True);
                store.Remove(gateway.Client(42));
            });
            othersWentOn &= others.Wait(TimeSpan.FromSeconds(10));
        });

        Assert.That(othersWentOn, Is.True, "a join, a bind and a close completed while the walk was in progress");
        Assert.That(walked, Is.EquivalentTo(new ulong[] { 41, 42 }), "the walk sees the members as they were when it started");
        Assert.That(store.GroupCount("room"), Is.EqualTo(2), "41 and 43 now");
        Assert.That(store.IsUidOnline("carol"), Is.True);
    }
}
