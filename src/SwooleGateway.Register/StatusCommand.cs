using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Configuration;

namespace SwooleGateway.Register;

/// <summary>
/// <c>status</c>: reads the cluster view from a register's admin endpoint (<c>SwooleGateway:Register:Admin</c>, with
/// <c>AdminToken</c> when it needs one; from appsettings.json, the environment or the command line, like the register
/// itself) and prints it as tables. Exit code 0, or 1 with the reason on stderr.
/// </summary>
public static class StatusCommand
{
    public static async Task<int> RunAsync(IConfiguration configuration, TextWriter output, TextWriter error, CancellationToken cancellationToken = default)
    {
        string? admin = configuration[RegisterOptions.SectionName + ":Admin"];
        string? token = configuration[RegisterOptions.SectionName + ":AdminToken"];
        if (string.IsNullOrWhiteSpace(admin))
        {
            await error.WriteLineAsync("status: no admin endpoint configured. Enable it on a register (SwooleGateway:Register:Admin=127.0.0.1:1237) and run " +
                "'status --SwooleGateway:Register:Admin=127.0.0.1:1237' (plus --SwooleGateway:Register:AdminToken=... when it has a token).").ConfigureAwait(false);
            return 1;
        }

        var url = new Uri($"http://{admin.Trim()}/status.json");
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (!string.IsNullOrEmpty(token))
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        string body;
        try
        {
            using HttpResponseMessage response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
            body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                await error.WriteLineAsync($"status: {url} answered {(int)response.StatusCode} {response.ReasonPhrase}: {body.Trim()}").ConfigureAwait(false);
                return 1;
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            await error.WriteLineAsync($"status: cannot reach the register's admin endpoint at {url}: {ex.Message}").ConfigureAwait(false);
            return 1;
        }

        using JsonDocument document = JsonDocument.Parse(body);
        await output.WriteAsync(Format(document.RootElement)).ConfigureAwait(false);
        return 0;
    }

    /// <summary>The cluster view as text tables.</summary>
    public static string Format(JsonElement status)
    {
        long now = status.GetProperty("generatedMs").GetInt64();
        JsonElement totals = status.GetProperty("totals");
        JsonElement register = status.GetProperty("register");
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture,
            $"Cluster: {totals.GetProperty("gateways").GetInt32()} gateways, {totals.GetProperty("workers").GetInt32()} workers, {totals.GetProperty("clients").GetInt32()} API clients; ");
        text.Append(CultureInfo.InvariantCulture,
            $"{Number(totals.GetProperty("connections"))} connections, {Number(totals.GetProperty("eventsPerSecond"))} events/s (register {register.GetProperty("nodeId").GetString()} at {register.GetProperty("address").GetString()})\n\n");

        List<JsonElement> nodes = [.. status.GetProperty("nodes").EnumerateArray()];
        Table(text, "GATEWAYS", ["NODE", "ADDRESS", "VERSION", "UP", "CONNECTIONS", "EVENTS/S", "UNACKED", "HELD", "SLOW", "WORKERS", "TAGS"],
            nodes.Where(n => Role(n) == "gateway").Select(n => new[]
            {
                Str(n, "nodeId"), Str(n, "address"), Str(n, "version"), Age(now, n.GetProperty("startedMs").GetInt64()), Value(n, "connections"), Rate(n, "events_per_second"),
                Value(n, "events_unacknowledged"), Value(n, "events_held"), Value(n, "slow_clients_total"), Value(n, "workers"), Tags(n),
            }));
        Table(text, "WORKERS", ["NODE", "FROM", "VERSION", "UP", "GATEWAYS", "CLIENTS", "EVENTS/S", "ACTIVE", "WAITING", "ERRORS", "REDELIVERED", "TAGS"],
            nodes.Where(n => Role(n) == "worker").Select(n => new[]
            {
                Str(n, "nodeId"), Str(n, "remote"), Str(n, "version"), Age(now, n.GetProperty("startedMs").GetInt64()), Value(n, "gateways"), Value(n, "clients"),
                Rate(n, "events_per_second"), Value(n, "handlers_active"), Value(n, "clients_waiting"), Value(n, "handler_errors_total"), Value(n, "events_redelivered_total"), Tags(n),
            }));
        Table(text, "API CLIENTS", ["NODE", "FROM", "CONNECTED"],
            nodes.Where(n => Role(n) == "client").Select(n => new[] { Str(n, "nodeId"), Str(n, "remote"), Age(now, n.GetProperty("connectedMs").GetInt64()) }));
        return text.ToString();
    }

    private static void Table(StringBuilder text, string title, string[] header, IEnumerable<string[]> rows)
    {
        List<string[]> all = [header, .. rows];
        text.Append(title).Append('\n');
        if (all.Count == 1)
        {
            text.Append("  (none)\n\n");
            return;
        }

        int[] widths = [.. Enumerable.Range(0, header.Length).Select(c => all.Max(r => r[c].Length))];
        foreach (string[] row in all)
        {
            text.Append("  ");
            for (int c = 0; c < row.Length; c++)
            {
                text.Append(c == row.Length - 1 ? row[c] : row[c].PadRight(widths[c] + 2));
            }

            text.Append('\n');
        }

        text.Append('\n');
    }

    private static string Role(JsonElement node) => node.GetProperty("role").GetString() ?? "";

    private static string Str(JsonElement node, string name) => node.GetProperty(name).GetString() ?? "";

    private static string Value(JsonElement node, string name) =>
        node.GetProperty("values").TryGetProperty(name, out JsonElement v) ? Number(v) : "-";

    private static string Rate(JsonElement node, string name) =>
        node.GetProperty("rates").TryGetProperty(name, out JsonElement v) ? Number(v) : "-";

    private static string Tags(JsonElement node) => string.Join(",", node.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));

    private static string Number(JsonElement value) => value.GetDouble().ToString("#,0", CultureInfo.InvariantCulture);

    private static string Age(long now, long since)
    {
        long seconds = Math.Max(0, (now - since) / 1000);
        return seconds switch
        {
            < 120 => $"{seconds} s",
            < 7200 => $"{seconds / 60} min",
            < 172_800 => $"{seconds / 3600} h",
            _ => $"{seconds / 86_400} d",
        };
    }
}
