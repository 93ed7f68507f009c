using System.Net;

namespace SwooleGateway.Transport;

/// <summary>Parses <c>host:port</c>, <c>1.2.3.4:port</c> and <c>[::1]:port</c>.</summary>
internal static class EndpointParser
{
    public static (string Host, int Port) Split(string address)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(address);
        address = address.Trim();
        int colon = address.LastIndexOf(':');
        string host = colon > 0 ? address[..colon] : "";
        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            host = host[1..^1];
        }
        else if (host.Contains(':', StringComparison.Ordinal))
        {
            host = "";
        }

        if (host.Length == 0 || !int.TryParse(address.AsSpan(colon + 1), out int port) || port is < 0 or > 65535)
        {
            throw new FormatException($"'{address}' is not an address of the form host:port or [ipv6]:port.");
        }

        return (host, port);
    }

    public static async Task<IPEndPoint> ResolveAsync(string address, CancellationToken cancellationToken)
    {
        (string host, int port) = Split(address);
        if (IPAddress.TryParse(host, out IPAddress? ip))
        {
            return new IPEndPoint(ip, port);
        }

        IPAddress[] addresses = await Dns.GetHostAddressesAsync(host, cancellationToken).ConfigureAwait(false);
        if (addresses.Length == 0)
        {
            throw new InvalidOperationException($"'{host}' did not resolve to any address.");
        }

        IPAddress chosen = Array.Find(addresses, a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork) ?? addresses[0];
        return new IPEndPoint(chosen, port);
    }

    /// <summary>Parses a listen address; host names other than localhost are not accepted for binding.</summary>
    public static IPEndPoint ParseListen(string address)
    {
        (string host, int port) = Split(address);
        if (host is "localhost")
        {
            return new IPEndPoint(IPAddress.Loopback, port);
        }

        if (host is "*" or "0.0.0.0")
        {
            return new IPEndPoint(IPAddress.Any, port);
        }

        if (!IPAddress.TryParse(host, out IPAddress? ip))
        {
            throw new FormatException($"Listen address '{address}' must be an IP address (or localhost, *).");
        }

        return new IPEndPoint(ip, port);
    }

    public static bool IsLoopback(string address)
    {
        try
        {
            (string host, _) = Split(address);
            return host is "localhost" || (IPAddress.TryParse(host, out IPAddress? ip) && IPAddress.IsLoopback(ip));
        }
        catch (FormatException)
        {
            return false;
        }
    }
}
