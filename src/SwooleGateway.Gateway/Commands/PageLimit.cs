namespace SwooleGateway.Gateway.Commands;

/// <summary>The page size a list command asked for, between 1 and 10,000.</summary>
internal static class PageLimit
{
    public const int Max = 10_000;

    public static int Of(uint limit) => (int)Math.Clamp(limit, 1u, Max);
}
