using SwooleGateway.Gateway.Clients;
using SwooleGateway.Gateway.Routing;
using SwooleGateway.Protocol;
using SwooleGateway.Tests.Protocol;

namespace SwooleGateway.Tests;

/// <summary>
/// The ring of a worker link's unacknowledged events: what was added comes back byte for byte and oldest first, whether
/// it was acknowledged in order or not, kept in the ring's storage or in an array of its own, or pushed out of the ring
/// by a straggler; acknowledgement ranges of any width cost only what is kept.
/// </summary>
[TestFixture]
public sealed class UnackedEventsTests
{
    private GatewayHarness _gateway = null!;

    [SetUp]
    public void SetUp() => _gateway = new GatewayHarness();

    [TearDown]
    public async Task TearDown() => await _gateway.DisposeAsync();

    private static byte[] FrameOf(ulong sequence, int length)
    {
        var frame = new byte[length];
        BitConverter.TryWriteBytes(frame, sequence);
        frame[^1] = (byte)sequence;
        return frame;
    }

    private static void AssertHolds(List<WorkerLink.Outstanding> taken, IEnumerable<ulong> sequences, Func<ulong, int> lengthOf)
    {
        ulong[] expected = [.. sequences];
        Assert.That(taken, Has.Count.EqualTo(expected.Length));
        for (int i = 0; i < expected.Length; i++)
        {
            HeldEvent e = taken[i].Event;
            byte[] want = FrameOf(expected[i], lengthOf(expected[i]));
            Assert.That(e.Buffer.AsSpan(0, e.Length).ToArray(), Is.EqualTo(want), $"event {expected[i]} (position {i})");
        }
    }

    [Test]
    public void Out_of_order_acknowledgements_leave_the_rest_in_order_with_their_bytes()
    {
        var ring = new UnackedEvents();
        ClientConnection client = _gateway.Client(41);
        Func<ulong, int> length = s => s % 7 == 0 ? 1000 : 40 + (int)(s % 200); // some beyond the inline size
        for (ulong s = 1; s <= 1000; s++)
        {
            ring.Add(s, client, MessageKind.ClientMessage, FrameOf(s, length(s)));
        }

        for (ulong s = 1; s <= 1000; s += 2)
        {
            Assert.That(ring.Remove(s), Is.SameAs(client));
        }

        Assert.That(ring.Remove(3), Is.Null, "already forgotten");
        Assert.That(ring.Remove(5000), Is.Null, "never sent");
        Assert.That(ring.Count, Is.EqualTo(500));
        Assert.That(ring.Bytes, Is.EqualTo(Enumerable.Range(1, 1000).Where(s => s % 2 == 0).Sum(s => (long)length((ulong)s))));

        AssertHolds(ring.TakeAll(), Enumerable.Range(1, 500).Select(i => (ulong)(2 * i)), length);
        Assert.That(ring.Count, Is.Zero);
        Assert.That(ring.Bytes, Is.Zero);
    }

    [Test]
    public void A_straggler_leaves_the_ring_without_the_ring_growing_past_its_bound()
    {
        var ring = new UnackedEvents();
        ClientConnection client = _gateway.Client(42);
        ring.Add(1, client, MessageKind.ClientMessage, FrameOf(1, 64)); // a handler that awaits for a long time
        const ulong Total = 100_000;
        for (ulong s = 2; s <= Total; s++)
        {
            ring.Add(s, client, MessageKind.ClientMessage, FrameOf(s, 64));
            Assert.That(ring.Remove(s), Is.SameAs(client));
        }

        Assert.That(ring.Capacity, Is.LessThanOrEqualTo(16384), "bounded storage however far the straggler lags");
        Assert.That(ring.Count, Is.EqualTo(1));
        ring.Add(Total + 1, client, MessageKind.ClientMessage, FrameOf(Total + 1, 64));
        AssertHolds(ring.TakeAll(), [1, Total + 1], _ => 64);
    }

    [Test]
    public void Ranges_forget_what_they_cover_and_a_hostile_range_costs_only_what_is_kept()
    {
        var ring = new UnackedEvents();
        ClientConnection client = _gateway.Client(43);
        ring.Add(1, client, MessageKind.ClientMessage, FrameOf(1, 64));
        for (ulong s = 2; s <= 40_000; s++)
        {
            ring.Add(s, client, MessageKind.ClientMessage, FrameOf(s, 64));
            if (s % 10 != 0)
            {
                ring.Remove(s);
            }
        }

        int forgotten = 0;
        ring.RemoveRange(20_001, 30_000, ref forgotten, static (ClientConnection _, ref int n) => n++);
        Assert.That(forgotten, Is.EqualTo(1000), "every tenth of 20,001..30,000 was still kept");

        forgotten = 0;
        ring.RemoveRange(0, ulong.MaxValue, ref forgotten, static (ClientConnection _, ref int n) => n++); // returns at once, not after 2^64 steps
        Assert.That(forgotten, Is.EqualTo(1 + 2000 + 1000), "event 1, the tenths of 10..20,000 and of 30,010..40,000");
        Assert.That(ring.Count, Is.Zero);
        Assert.That(ring.TakeAll(), Is.Empty);
    }
}
