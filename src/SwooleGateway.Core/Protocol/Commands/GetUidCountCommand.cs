namespace SwooleGateway.Protocol.Commands;

/// <summary>The number of distinct uids bound on this gateway.</summary>
internal readonly record struct GetUidCountCommand : ICommand<GetUidCountCommand, CountResult>
{
    public static uint Op => 25;

    public static string Schema => "";

    public void Write(ref FieldWriter writer)
    {
    }

    public static GetUidCountCommand Read(ref FieldReader reader) => default;
}
