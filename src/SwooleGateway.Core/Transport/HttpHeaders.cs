namespace SwooleGateway.Transport;

/// <summary>Small HTTP header helpers shared by the gateway (upgrade requests) and workers (connect info).</summary>
internal static class HttpHeaders
{
    /// <summary>Parses a <c>Cookie</c> header (<c>a=1; b="2"</c>) into names and values; malformed parts are skipped.</summary>
    public static Dictionary<string, string> ParseCookies(string? header)
    {
        var cookies = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string part in (header ?? "").Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0)
            {
                cookies[part[..eq]] = part[(eq + 1)..].Trim('"');
            }
        }

        return cookies;
    }
}
