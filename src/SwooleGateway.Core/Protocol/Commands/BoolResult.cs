namespace SwooleGateway.Protocol.Commands;

internal readonly record struct BoolResult(bool Value) : IWireFields<BoolResult>
{
    public static string Schema => "value:bool";

    public void Write(ref FieldWriter writer) => writer.Bool(Value);

    public static BoolResult Read(ref FieldReader reader) => new(reader.Bool());
}
