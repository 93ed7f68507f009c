namespace SwooleGateway.Protocol.Commands;

internal readonly record struct CountResult(uint Count) : IWireFields<CountResult>
{
    public static string Schema => "count:uint";

    public void Write(ref FieldWriter writer) => writer.UInt(Count);

    public static CountResult Read(ref FieldReader reader) => new(reader.UInt());
}
