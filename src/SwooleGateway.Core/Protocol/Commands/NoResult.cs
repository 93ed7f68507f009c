namespace SwooleGateway.Protocol.Commands;

/// <summary>The result of sends and mutations: nothing (the reply only confirms that the gateway applied the command).</summary>
internal readonly record struct NoResult : IWireFields<NoResult>
{
    public static string Schema => "";

    public void Write(ref FieldWriter writer)
    {
    }

    public static NoResult Read(ref FieldReader reader) => default;
}
