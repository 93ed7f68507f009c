using System.Buffers;
using System.Buffers.Binary;
using MessagePack;
using SwooleGateway.Protocol;

namespace SwooleGateway.Tests.Protocol;

/// <summary>
/// One internal message with sample values: how its frame is written by the shared writer and read back by the shared
/// reader, and how it is documented. <see cref="WireCases"/> lists one for every message type.
/// </summary>
public abstract class WireCase
{
    /// <summary>Name for test output (the frame kind or the command's name).</summary>
    public abstract string Name { get; }

    /// <summary>The message's schema (its fields), as the type declares it.</summary>
    internal abstract string Schema { get; }

    /// <summary>Items the frame carries before the message's own fields (kind; for commands and replies also request id and op or status).</summary>
    internal abstract int HeaderItems { get; }

    /// <summary>The line docs/protocol.md or docs/api.md must contain for this message.</summary>
    internal abstract string DocLine { get; }

    /// <summary>The message's CLR type.</summary>
    internal abstract Type Type { get; }

    /// <summary>Its number on the wire: the frame kind, or the command's op (0 for results).</summary>
    internal abstract uint Number { get; }

    /// <summary>The whole frame (length prefix included) written by the shared writer.</summary>
    internal abstract byte[] Write();

    /// <summary>Reads a frame body with the shared reader (skipping what it does not know) and writes it again.</summary>
    internal abstract byte[] ReadAndWrite(ReadOnlySequence<byte> body);

    public override string ToString() => Name;

    /// <summary>The body (after the length prefix) of a frame.</summary>
    internal static ReadOnlySequence<byte> Body(byte[] frame) => new(frame, 4, frame.Length - 4);

    /// <summary>The frame with <paramref name="extra"/> items appended to its array, as a newer peer would send it.</summary>
    internal static byte[] WithExtraItems(byte[] frame, int extra)
    {
        var reader = new MessagePackReader(Body(frame));
        int count = reader.ReadArrayHeader();
        int headerLength = (int)reader.Consumed;
        var body = new ArrayBufferWriter<byte>();
        var w = new MessagePackWriter(body);
        w.WriteArrayHeader(count + extra);
        w.Flush();
        body.Write(frame.AsSpan(4 + headerLength));
        w = new MessagePackWriter(body);
        for (int i = 0; i < extra; i++)
        {
            if (i % 2 == 0)
            {
                w.Write("a field from a newer version");
            }
            else
            {
                w.WriteMapHeader(1);
                w.Write("nested");
                w.Write(42);
            }
        }

        w.Flush();
        return Frame(body.WrittenSpan);
    }

    /// <summary>The frame with its last item removed, as an older or broken peer would send it.</summary>
    internal static byte[] WithoutLastItem(byte[] frame, int items = 1)
    {
        var reader = new MessagePackReader(Body(frame));
        int count = reader.ReadArrayHeader();
        int headerLength = (int)reader.Consumed;
        for (int i = 0; i < count - items; i++)
        {
            reader.Skip();
        }

        int keep = (int)reader.Consumed - headerLength;
        var body = new ArrayBufferWriter<byte>();
        var w = new MessagePackWriter(body);
        w.WriteArrayHeader(count - items);
        w.Flush();
        body.Write(frame.AsSpan(4 + headerLength, keep));
        return Frame(body.WrittenSpan);
    }

    private static byte[] Frame(ReadOnlySpan<byte> body)
    {
        byte[] frame = new byte[4 + body.Length];
        BinaryPrimitives.WriteUInt32BigEndian(frame, (uint)body.Length);
        body.CopyTo(frame.AsSpan(4));
        return frame;
    }
}

/// <summary>A frame of its own kind: <c>[kind, fields...]</c>.</summary>
internal sealed class MessageCase<T>(T sample) : WireCase where T : struct, IFrameMessage<T>
{
    public override string Name => T.Kind.ToString();

    internal override string Schema => T.Schema;

    internal override int HeaderItems => 1;

    internal override string DocLine => T.Schema.Length == 0 ? $"{T.Kind} [{(uint)T.Kind}]" : $"{T.Kind} [{(uint)T.Kind}, {T.Schema}]";

    internal override Type Type => typeof(T);

    internal override uint Number => (uint)T.Kind;

    internal override byte[] Write() => SwooleGateway.Protocol.Frame.Write(sample).ToArray();

    internal override byte[] ReadAndWrite(ReadOnlySequence<byte> body)
    {
        FieldReader reader = SwooleGateway.Protocol.Frame.Open(body);
        Assert.That(reader.Kind, Is.EqualTo(T.Kind));
        T read = SwooleGateway.Protocol.Frame.Read<T>(ref reader);
        return SwooleGateway.Protocol.Frame.Write(read).ToArray();
    }
}

/// <summary>A Gateway API operation's arguments: <c>[48, requestId, op, args...]</c>.</summary>
internal sealed class CommandCase<TCommand, TResult>(TCommand sample) : WireCase
    where TCommand : struct, ICommand<TCommand, TResult>
    where TResult : struct, IWireFields<TResult>
{
    public override string Name => CommandName(typeof(TCommand));

    internal override string Schema => TCommand.Schema;

    internal override int HeaderItems => 3;

    internal override string DocLine => $"| {TCommand.Op} | {Name} | {Or(TCommand.Schema)} | {Or(TResult.Schema)} |";

    internal override Type Type => typeof(TCommand);

    internal override uint Number => TCommand.Op;

    internal override byte[] Write() => SwooleGateway.Protocol.Frame.WriteCommand<TCommand, TResult>(7, sample).ToArray();

    internal override byte[] ReadAndWrite(ReadOnlySequence<byte> body)
    {
        FieldReader reader = SwooleGateway.Protocol.Frame.Open(body);
        Assert.That(reader.Kind, Is.EqualTo(MessageKind.Command));
        (uint requestId, uint op) = SwooleGateway.Protocol.Frame.ReadCommandHeader(ref reader);
        Assert.That(op, Is.EqualTo(TCommand.Op));
        TCommand read = SwooleGateway.Protocol.Frame.Read<TCommand>(ref reader);
        return SwooleGateway.Protocol.Frame.WriteCommand<TCommand, TResult>(requestId, read).ToArray();
    }

    internal static string CommandName(Type type) => type.Name.Replace("Command", "", StringComparison.Ordinal);

    private static string Or(string schema) => schema.Length == 0 ? "—" : schema.Replace("|", "\\|", StringComparison.Ordinal);
}

/// <summary>A reply's result: <c>[49, requestId, status, result...]</c>.</summary>
internal sealed class ResultCase<TResult>(TResult sample) : WireCase where TResult : struct, IWireFields<TResult>
{
    public override string Name => typeof(TResult).Name;

    internal override string Schema => TResult.Schema;

    internal override int HeaderItems => 3;

    internal override string DocLine => "";

    internal override Type Type => typeof(TResult);

    internal override uint Number => 0;

    internal override byte[] Write() => SwooleGateway.Protocol.Frame.WriteReply(7, sample).ToArray();

    internal override byte[] ReadAndWrite(ReadOnlySequence<byte> body)
    {
        FieldReader reader = SwooleGateway.Protocol.Frame.Open(body);
        Assert.That(reader.Kind, Is.EqualTo(MessageKind.Reply));
        (uint requestId, ReplyStatus status) = SwooleGateway.Protocol.Frame.ReadReplyHeader(ref reader);
        Assert.That(status, Is.EqualTo(ReplyStatus.Ok));
        TResult read = SwooleGateway.Protocol.Frame.Read<TResult>(ref reader);
        return SwooleGateway.Protocol.Frame.WriteReply(requestId, read).ToArray();
    }
}
