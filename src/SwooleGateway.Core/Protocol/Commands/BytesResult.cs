using System.Buffers;

namespace SwooleGateway.Protocol.Commands;

/// <summary>Bytes or nothing (a session, a custom command's answer). The reader copies them out of the frame.</summary>
internal readonly record struct BytesResult(byte[]? Bytes) : IWireFields<BytesResult>
{
    public static string Schema => "bytes:bin|nil";

    public void Write(ref FieldWriter writer) => writer.BytesOrNil(Bytes);

    public static BytesResult Read(ref FieldReader reader) => new(reader.BytesOrNil()?.ToArray());
}
