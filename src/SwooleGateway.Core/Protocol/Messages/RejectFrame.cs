namespace SwooleGateway.Protocol.Messages;

/// <summary>Handshake, server → client, then the server closes: <c>[4, reason:uint, text:str]</c> (reason: <see cref="RejectReason"/>).</summary>
internal readonly record struct RejectFrame(RejectReason Reason, string Text) : IFrameMessage<RejectFrame>
{
    public static MessageKind Kind => MessageKind.Reject;

    public static string Schema => "reason:uint, text:str";

    public void Write(ref FieldWriter writer)
    {
        writer.UInt((uint)Reason);
        writer.String(Text);
    }

    public static RejectFrame Read(ref FieldReader reader) => new((RejectReason)reader.UInt(), reader.String() ?? "");
}
