namespace SwooleGateway.Protocol;

/// <summary>
/// A list of fields that crosses a process boundary: the one definition of its wire format, with exactly one writer
/// and one reader, used by both sides. <see cref="Schema"/> is what docs/protocol.md and docs/api.md show for it (a
/// test checks the documents, and the writer's output, against it).
/// </summary>
/// <remarks>
/// Rules every implementation follows: fields are written in the order of <see cref="Schema"/>; a reader reads them in
/// that order and leaves the rest to <see cref="FieldReader.SkipRest"/> (a newer peer may append fields); bytes and
/// lists a reader returns point into the received frame and are valid only while it is being handled.
/// </remarks>
internal interface IWireFields<TSelf> where TSelf : struct, IWireFields<TSelf>
{
    /// <summary>The fields, as documented: <c>name:type, ...</c> (types: uint, u64, bool, str, bin, map, [str], [u64], ...; <c>|nil</c> when optional).</summary>
    static abstract string Schema { get; }

    void Write(ref FieldWriter writer);

    static abstract TSelf Read(ref FieldReader reader);
}

/// <summary>A frame of its own kind: <c>[kind, fields...]</c>.</summary>
internal interface IFrameMessage<TSelf> : IWireFields<TSelf> where TSelf : struct, IFrameMessage<TSelf>
{
    static abstract MessageKind Kind { get; }
}

/// <summary>
/// The arguments of one Gateway API operation, sent in a <see cref="MessageKind.Command"/> frame and answered by a
/// <see cref="MessageKind.Reply"/> frame whose result is <typeparamref name="TResult"/>.
/// </summary>
internal interface ICommand<TSelf, TResult> : IWireFields<TSelf>
    where TSelf : struct, ICommand<TSelf, TResult>
    where TResult : struct, IWireFields<TResult>
{
    /// <summary>The operation number on the wire. Never renumber; a test checks that no two commands share one.</summary>
    static abstract uint Op { get; }
}
