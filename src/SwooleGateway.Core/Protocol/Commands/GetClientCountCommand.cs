namespace SwooleGateway.Protocol.Commands;

/// <summary>The number of clients on this gateway.</summary>
internal readonly record struct GetClientCountCommand : ICommand<GetClientCountCommand, CountResult>
{
    public static uint Op => 21;

    public static string Schema => "";

    public void Write(ref FieldWriter writer)
    {
    }

    public static GetClientCountCommand Read(ref FieldReader reader) => default;
}
