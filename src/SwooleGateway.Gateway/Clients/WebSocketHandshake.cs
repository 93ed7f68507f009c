using System.Buffers;
using System.Security.Cryptography;
using System.Text;

namespace SwooleGateway.Gateway.Clients;

/// <summary>
/// The HTTP/1.1 upgrade request of RFC 6455 §4.2, parsed by hand from the pipe so that no HTTP request
/// state outlives the handshake (Kestrel keeps it for the life of an upgraded connection).
/// </summary>
internal static class WebSocketHandshake
{
    private static ReadOnlySpan<byte> EndOfHeaders => "\r\n\r\n"u8;

    /// <summary>What the client asked for; handed to the open event and then dropped.</summary>
    internal sealed class Request
    {
        public required string Path { get; init; }

        public required Dictionary<string, string> Headers { get; init; }

        public string? Header(string name) => Headers.TryGetValue(name, out string? v) ? v : null;
    }

    /// <summary>
    /// Finds the end of the request headers. Returns the header block (without the final blank line) or null
    /// when more bytes are needed; <paramref name="consumed"/> is where the WebSocket stream starts.
    /// </summary>
    public static ReadOnlySequence<byte>? TryFindRequest(in ReadOnlySequence<byte> buffer, out SequencePosition consumed)
    {
        var reader = new SequenceReader<byte>(buffer);
        if (reader.TryReadTo(out ReadOnlySequence<byte> head, EndOfHeaders, advancePastDelimiter: true))
        {
            consumed = reader.Position;
            return head;
        }

        consumed = buffer.Start;
        return null;
    }

    /// <summary>Parses and validates the request. On failure returns null and the HTTP status line + headers to answer with.</summary>
    public static Request? Parse(in ReadOnlySequence<byte> head, out string? error, out string? response)
    {
        error = null;
        response = null;
        string text;
        try
        {
            text = new UTF8Encoding(false, true).GetString(head);
        }
        catch (DecoderFallbackException)
        {
            return Fail("request is not valid UTF-8", "400 Bad Request", out error, out response);
        }

        string[] lines = text.Split("\r\n");
        string[] requestLine = lines[0].Split(' ');
        if (requestLine.Length != 3 || requestLine[0] != "GET" || !requestLine[2].StartsWith("HTTP/1.1", StringComparison.Ordinal) || !requestLine[1].StartsWith('/'))
        {
            return Fail("not an HTTP/1.1 GET request", "400 Bad Request", out error, out response);
        }

        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        for (int i = 1; i < lines.Length; i++)
        {
            string line = lines[i];
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                return Fail("malformed header line", "400 Bad Request", out error, out response);
            }

            string name = line[..colon].Trim();
            string value = line[(colon + 1)..].Trim();
            headers[name] = headers.TryGetValue(name, out string? existing) ? existing + ", " + value : value;
        }

        if (!HasToken(headers, "Upgrade", "websocket") || !HasToken(headers, "Connection", "upgrade"))
        {
            return Fail("not a WebSocket upgrade (Upgrade: websocket and Connection: Upgrade are required)", "426 Upgrade Required\r\nUpgrade: websocket", out error, out response);
        }

        if (!headers.TryGetValue("Sec-WebSocket-Version", out string? version) || version != "13")
        {
            return Fail($"unsupported Sec-WebSocket-Version '{version}'", "426 Upgrade Required\r\nSec-WebSocket-Version: 13", out error, out response);
        }

        if (!headers.TryGetValue("Sec-WebSocket-Key", out string? key) || !IsValidKey(key))
        {
            return Fail("missing or invalid Sec-WebSocket-Key", "400 Bad Request", out error, out response);
        }

        return new Request { Path = requestLine[1], Headers = headers };
    }

    public static byte[] AcceptResponse(string key, string? subProtocol = null)
    {
        string accept = Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")));
        string protocol = subProtocol is null ? "" : $"Sec-WebSocket-Protocol: {subProtocol}\r\n";
        return Encoding.ASCII.GetBytes($"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n{protocol}\r\n");
    }

    /// <summary>Splits a request target into its path and its (percent-decoded) query parameters.</summary>
    public static (string Path, Dictionary<string, string> Query) SplitTarget(string target)
    {
        var query = new Dictionary<string, string>(StringComparer.Ordinal);
        int q = target.IndexOf('?', StringComparison.Ordinal);
        if (q < 0)
        {
            return (target, query);
        }

        foreach (string pair in target[(q + 1)..].Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = pair.IndexOf('=', StringComparison.Ordinal);
            string name = Uri.UnescapeDataString((eq < 0 ? pair : pair[..eq]).Replace('+', ' '));
            query[name] = eq < 0 ? "" : Uri.UnescapeDataString(pair[(eq + 1)..].Replace('+', ' '));
        }

        return (target[..q], query);
    }

    public static string ReasonPhrase(int status) => status switch
    {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        429 => "Too Many Requests",
        503 => "Service Unavailable",
        _ => "Refused",
    };

    public static byte[] ErrorResponse(string statusAndHeaders) =>
        Encoding.ASCII.GetBytes($"HTTP/1.1 {statusAndHeaders}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");

    private static bool IsValidKey(string key)
    {
        Span<byte> decoded = stackalloc byte[24];
        return Convert.TryFromBase64String(key, decoded, out int written) && written == 16;
    }

    private static bool HasToken(Dictionary<string, string> headers, string name, string token)
    {
        if (!headers.TryGetValue(name, out string? value))
        {
            return false;
        }

        foreach (string part in value.Split(','))
        {
            if (part.Trim().Equals(token, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    private static Request? Fail(string why, string status, out string? error, out string? response)
    {
        error = why;
        response = status;
        return null;
    }
}
