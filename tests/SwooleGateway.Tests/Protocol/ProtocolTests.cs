using MessagePack;
using Microsoft.Extensions.Logging.Abstractions;
using SwooleGateway.Gateway;
using SwooleGateway.Gateway.Clients;
using SwooleGateway.Gateway.Commands;
using SwooleGateway.Protocol;
using SwooleGateway.Protocol.Messages;

namespace SwooleGateway.Tests.Protocol;

/// <summary>
/// Every internal message type: its one writer and one reader agree (round trip), its frames carry exactly the fields its
/// schema names, in order and of their types, a newer peer's extra fields are skipped, a missing field is a protocol error,
/// and docs/protocol.md and docs/api.md show it as its type writes it.
/// </summary>
[TestFixture]
public sealed class ProtocolTests
{
    private static IEnumerable<WireCase> All() => WireCases.All();

    private static IEnumerable<WireCase> WithFields() => WireCases.All().Where(c => c.Schema.Length > 0);

    /// <summary>A thread that built one large frame (a big broadcast) does not keep its buffer: the next frame it builds drops it.</summary>
    [Test]
    public void A_large_frame_does_not_pin_its_scratch_buffer_on_the_thread()
    {
        var big = new System.Buffers.ReadOnlySequence<byte>(new byte[4 << 20]);
        ReadOnlySpan<byte> frame = Frame.Write(new SwooleGateway.Protocol.Messages.ClientMessageFrame(new EventHeader(1, 2, EventFlags.None), 0, null, big));
        Assert.That(frame.Length, Is.GreaterThan(4 << 20));
        Assert.That(Frame.ScratchCapacity, Is.GreaterThan(4 << 20), "the large frame was built in the thread's buffer");

        ReadOnlySpan<byte> small = Frame.Write(new SwooleGateway.Protocol.Messages.PongFrame());
        Assert.That(small.Length, Is.LessThan(16));
        Assert.That(Frame.ScratchCapacity, Is.LessThanOrEqualTo(Frame.MaxKeptScratch), "the next frame built on the thread dropped it");
    }

    [TestCaseSource(nameof(All))]
    public void Read_and_written_again_a_frame_is_the_same_bytes(WireCase message)
    {
        byte[] frame = message.Write();
        Assert.That(message.ReadAndWrite(WireCase.Body(frame)), Is.EqualTo(frame));
    }

    [TestCaseSource(nameof(All))]
    public void A_frame_carries_the_fields_of_its_schema_in_order_and_of_their_types(WireCase message)
    {
        List<(string Name, string Type)> fields = ParseSchema(message.Schema);
        var reader = new MessagePackReader(WireCase.Body(message.Write()));
        Assert.That(reader.ReadArrayHeader(), Is.EqualTo(message.HeaderItems + fields.Count), "items in the frame");
        for (int i = 0; i < message.HeaderItems; i++)
        {
            Assert.That(reader.NextMessagePackType, Is.EqualTo(MessagePackType.Integer), "kind, request id, op or status");
            reader.Skip();
        }

        foreach ((string name, string type) in fields)
        {
            MessagePackType actual = reader.NextMessagePackType;
            bool nilAllowed = type.EndsWith("|nil", StringComparison.Ordinal);
            string bare = nilAllowed ? type[..^4] : type;
            MessagePackType expected = bare switch
            {
                "uint" or "u64" => MessagePackType.Integer,
                "bool" => MessagePackType.Boolean,
                "str" => MessagePackType.String,
                "map" => MessagePackType.Map,
                _ when bare.StartsWith("bin", StringComparison.Ordinal) => MessagePackType.Binary,
                _ when bare.StartsWith('[') => MessagePackType.Array,
                _ => throw new AssertionException($"{message.Name}: unknown type '{type}' of field {name} in the schema"),
            };
            Assert.That(actual == expected || (nilAllowed && actual == MessagePackType.Nil), Is.True,
                $"{message.Name}.{name} is {actual}, its schema says {type}");
            reader.Skip();
        }

        Assert.That(reader.End, Is.True);
    }

    [TestCaseSource(nameof(All))]
    public void Fields_a_newer_peer_appends_are_skipped(WireCase message)
    {
        byte[] frame = message.Write();
        Assert.That(message.ReadAndWrite(WireCase.Body(WireCase.WithExtraItems(frame, 2))), Is.EqualTo(frame));
    }

    [TestCaseSource(nameof(WithFields))]
    public void A_frame_without_a_field_its_kind_needs_is_a_protocol_error(WireCase message)
    {
        // Fields named "name?" came later: an older peer leaves them out. The last field before them is required.
        int optional = OptionalTail(message);
        Assume.That(optional, Is.LessThan(ParseSchema(message.Schema).Count), "every field is optional");
        byte[] truncated = WireCase.WithoutLastItem(message.Write(), optional + 1);
        ProtocolErrorException error = Assert.Throws<ProtocolErrorException>(() => message.ReadAndWrite(WireCase.Body(truncated)))!;
        Assert.That(error.Message, Does.Contain("fewer fields"));
    }

    [TestCase(0)]
    [TestCase(Handshake.MaxNameLength + 1)]
    public void A_tag_that_is_empty_or_too_long_is_a_protocol_error_in_every_frame_that_carries_tags(int length)
    {
        string tag = new('t', length);
        byte[] nonce = [.. Enumerable.Range(1, Handshake.NonceSize).Select(i => (byte)i)];
        WireCase[] carriers =
        [
            new MessageCase<AuthFrame>(new AuthFrame(Handshake.ProtocolVersion, "worker", "worker-b-2", nonce, new byte[Handshake.ProofSize], ["edge", tag])),
            new MessageCase<StatusReportFrame>(new StatusReportFrame("worker", "worker-b-2", "1.0", "1.0", 1, "", ["edge", tag], new Dictionary<string, ulong>())),
        ];
        foreach (WireCase carrier in carriers)
        {
            ProtocolErrorException error = Assert.Throws<ProtocolErrorException>(() => carrier.ReadAndWrite(WireCase.Body(carrier.Write())), carrier.Name)!;
            Assert.That(error.Message, Does.Contain("empty or oversized tag"), carrier.Name);
        }
    }

    [TestCaseSource(nameof(WithOptionalFields))]
    public void A_frame_from_an_older_peer_without_the_later_fields_reads(WireCase message)
    {
        byte[] older = WireCase.WithoutLastItem(message.Write(), OptionalTail(message));
        Assert.DoesNotThrow(() => message.ReadAndWrite(WireCase.Body(older)));
    }

    [Test]
    public void Only_trailing_fields_are_optional()
    {
        foreach (WireCase message in WireCases.All())
        {
            List<(string Name, string Type)> fields = ParseSchema(message.Schema);
            int optional = OptionalTail(message);
            Assert.That(fields.Take(fields.Count - optional).Any(f => f.Name.EndsWith('?')), Is.False,
                $"{message.Name}: an optional field (name?) is followed by a required one");
        }
    }

    private static IEnumerable<WireCase> WithOptionalFields() => WireCases.All().Where(c => OptionalTail(c) > 0);

    private static int OptionalTail(WireCase message)
    {
        List<(string Name, string Type)> fields = ParseSchema(message.Schema);
        int n = 0;
        while (n < fields.Count && fields[fields.Count - 1 - n].Name.EndsWith('?'))
        {
            n++;
        }

        return n;
    }

    [Test]
    public void A_message_of_more_than_15_fields_gets_the_larger_array_header_and_reads_back()
    {
        var wide = new WideFrame([.. Enumerable.Range(0, 20).Select(i => (uint)(i * 1000))]);
        byte[] frame = Frame.Write(wide).ToArray();
        Assert.That(frame[4], Is.EqualTo(MessagePackCode.Array16));
        FieldReader reader = Frame.Open(WireCase.Body(frame));
        Assert.That(Frame.Read<WideFrame>(ref reader).Values, Is.EqualTo(wide.Values));
    }

    [Test]
    public void Every_message_type_has_a_case_and_kinds_and_ops_are_unique()
    {
        Type[] types = typeof(Frame).Assembly.GetTypes();
        var covered = All().Select(c => c.Type).ToHashSet();
        foreach (Type type in types.Where(t => Implements(t, typeof(IWireFields<>))))
        {
            Assert.That(covered, Does.Contain(type), $"{type.Name} has no case in WireCases or ContractCases");
        }

        var kinds = WireCases.Messages().Select(c => c.Number).ToList();
        Assert.That(kinds.Distinct().Count(), Is.EqualTo(kinds.Count), "one kind per frame type");
        var ops = WireCases.Commands().Select(c => c.Number).ToList();
        Assert.That(ops.Distinct().Count(), Is.EqualTo(ops.Count), "one op per command type");
    }

    [Test]
    public void Every_command_has_exactly_one_handler_on_the_gateway()
    {
        var executor = new CommandExecutor(new CommandServices(new ClientStore(), new ClientSender(new GatewayMetrics(null), NullLogger.Instance),
            new Dictionary<string, GatewayCommandHandler>(), caller => new GatewayCommandContext(caller, "g", 0, 0), NullLogger.Instance));
        var expected = WireCases.Commands().ToDictionary(c => c.Number, c => c.Name);
        Assert.That(executor.Operations, Is.EquivalentTo(expected));
    }

    [Test]
    public void Docs_protocol_md_shows_every_frame_as_its_type_writes_it()
    {
        string doc = File.ReadAllText(Path.Combine(RepositoryRoot(), "docs", "protocol.md"));
        var missing = WireCases.Messages().Select(c => c.DocLine).Where(line => !doc.Contains(line, StringComparison.Ordinal)).ToList();
        Assert.That(missing, Is.Empty, "docs/protocol.md lacks these lines (or shows them otherwise):\n" + string.Join('\n', missing));
    }

    [Test]
    public void Docs_api_md_shows_every_operation_as_its_type_writes_it()
    {
        string doc = File.ReadAllText(Path.Combine(RepositoryRoot(), "docs", "api.md"));
        var missing = WireCases.Commands().Select(c => c.DocLine).Where(line => !doc.Contains(line, StringComparison.Ordinal)).ToList();
        Assert.That(missing, Is.Empty, "docs/api.md lacks these rows of its wire table (or shows them otherwise):\n" + string.Join('\n', missing));
    }

    internal static string RepositoryRoot()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "SwooleGateway.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("SwooleGateway.sln not found above " + AppContext.BaseDirectory);
    }

    /// <summary>The top-level fields of a schema: <c>name:type</c> separated by commas outside brackets.</summary>
    private static List<(string Name, string Type)> ParseSchema(string schema)
    {
        var fields = new List<(string, string)>();
        int depth = 0;
        int start = 0;
        for (int i = 0; i <= schema.Length; i++)
        {
            if (i == schema.Length || (schema[i] == ',' && depth == 0))
            {
                string field = schema[start..i].Trim();
                if (field.Length > 0)
                {
                    int colon = field.IndexOf(':', StringComparison.Ordinal);
                    fields.Add((field[..colon], field[(colon + 1)..]));
                }

                start = i + 1;
            }
            else if (schema[i] == '[')
            {
                depth++;
            }
            else if (schema[i] == ']')
            {
                depth--;
            }
        }

        return fields;
    }

    private static bool Implements(Type type, Type generic) =>
        type.IsValueType && type.GetInterfaces().Any(i => i.IsGenericType && i.GetGenericTypeDefinition() == generic);

    /// <summary>A message wider than a fixarray holds (only to test the writer's array header).</summary>
    private readonly record struct WideFrame(uint[] Values) : IFrameMessage<WideFrame>
    {
        public static MessageKind Kind => (MessageKind)250;

        public static string Schema => "values:uint...";

        public void Write(ref FieldWriter writer)
        {
            foreach (uint value in Values)
            {
                writer.UInt(value);
            }
        }

        public static WideFrame Read(ref FieldReader reader)
        {
            var values = new uint[reader.Remaining];
            for (int i = 0; i < values.Length; i++)
            {
                values[i] = reader.UInt();
            }

            return new WideFrame(values);
        }
    }
}
