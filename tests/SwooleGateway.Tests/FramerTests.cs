using System.Buffers;
using System.Text;
using SwooleGateway.Gateway.Framing;

namespace SwooleGateway.Tests;

/// <summary>Every built-in framer with split and coalesced input.</summary>
[TestFixture]
public sealed class FramerTests
{
    private static IEnumerable<TestCaseData> Framers()
    {
        yield return new TestCaseData(new DelimiterFramer("\n"u8.ToArray())).SetName("Delimiter_lf");
        yield return new TestCaseData(new DelimiterFramer("\r\n"u8.ToArray())).SetName("Delimiter_crlf");
        yield return new TestCaseData(new LengthPrefixFramer(1, true, false)).SetName("Length_1");
        yield return new TestCaseData(new LengthPrefixFramer(2, true, false)).SetName("Length_2_big_endian");
        yield return new TestCaseData(new LengthPrefixFramer(2, false, true)).SetName("Length_2_little_endian_inclusive");
        yield return new TestCaseData(new LengthPrefixFramer(4, true, true)).SetName("Length_4_big_endian_inclusive_GatewayWorker_Frame");
        yield return new TestCaseData(new LengthPrefixFramer(4, false, false)).SetName("Length_4_little_endian");
    }

    private static byte[] Encode(IClientFramer framer, string message)
    {
        byte[] payload = Encoding.UTF8.GetBytes(message);
        Span<byte> header = stackalloc byte[16];
        int n = framer.WriteHeader(header, payload.Length);
        return [.. header[..n], .. payload, .. framer.Trailer];
    }

    private static List<string> Decode(IClientFramer framer, IEnumerable<byte[]> reads)
    {
        var messages = new List<string>();
        var pending = new List<byte>();
        foreach (byte[] read in reads)
        {
            pending.AddRange(read);
            var buffer = new ReadOnlySequence<byte>([.. pending]);
            while (true)
            {
                FramerStatus status = framer.TryRead(ref buffer, 200, out ReadOnlySequence<byte> message, out string? error);
                Assert.That(status, Is.Not.EqualTo(FramerStatus.Invalid), error);
                if (status == FramerStatus.NeedMoreData)
                {
                    break;
                }

                messages.Add(Encoding.UTF8.GetString(message));
            }

            pending = [.. buffer.ToArray()];
        }

        Assert.That(pending, Is.Empty, "nothing left over");
        return messages;
    }

    [TestCaseSource(nameof(Framers))]
    public void Messages_split_byte_by_byte_and_coalesced_round_trip(IClientFramer framer)
    {
        string[] sent = ["hello", "", "x", new string('y', 150), "ünïcödé"];
        byte[] stream = [.. sent.SelectMany(m => Encode(framer, m))];

        Assert.That(Decode(framer, [stream]), Is.EqualTo(sent), "all in one read");
        Assert.That(Decode(framer, stream.Select(b => new[] { b })), Is.EqualTo(sent), "one byte per read");
        var random = new Random(7);
        var chunks = new List<byte[]>();
        for (int i = 0; i < stream.Length;)
        {
            int n = Math.Min(random.Next(1, 9), stream.Length - i);
            chunks.Add(stream[i..(i + n)]);
            i += n;
        }

        Assert.That(Decode(framer, chunks), Is.EqualTo(sent), "random splits");
    }

    [Test]
    public void Length_prefix_over_the_limit_is_refused_from_the_header()
    {
        var framer = new LengthPrefixFramer(4, true, false);
        var buffer = new ReadOnlySequence<byte>(new byte[] { 0, 0, 0x10, 0 });
        Assert.That(framer.TryRead(ref buffer, 1024, out _, out string? error), Is.EqualTo(FramerStatus.Invalid));
        Assert.That(error, Does.Contain("exceeds MaxFrameSize"));
    }

    [Test]
    public void Inclusive_length_smaller_than_its_header_is_invalid()
    {
        var framer = new LengthPrefixFramer(4, true, true);
        var buffer = new ReadOnlySequence<byte>(new byte[] { 0, 0, 0, 2 });
        Assert.That(framer.TryRead(ref buffer, 1024, out _, out _), Is.EqualTo(FramerStatus.Invalid));
    }

    [Test]
    public void A_message_too_long_for_its_prefix_cannot_be_framed()
    {
        var framer = new LengthPrefixFramer(1, true, false);
        Assert.Throws<InvalidOperationException>(() => framer.WriteHeader(new byte[4], 300));
    }

    [Test]
    public void Raw_framer_hands_over_what_arrived_capped_at_the_limit()
    {
        var framer = new RawFramer();
        var buffer = new ReadOnlySequence<byte>(new byte[250]);
        Assert.That(framer.TryRead(ref buffer, 200, out ReadOnlySequence<byte> first, out _), Is.EqualTo(FramerStatus.Message));
        Assert.That(first.Length, Is.EqualTo(200));
        Assert.That(framer.TryRead(ref buffer, 200, out ReadOnlySequence<byte> second, out _), Is.EqualTo(FramerStatus.Message));
        Assert.That(second.Length, Is.EqualTo(50));
        Assert.That(framer.TryRead(ref buffer, 200, out _, out _), Is.EqualTo(FramerStatus.NeedMoreData));
    }
}
