using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;

namespace SwooleGateway.Gateway.Routing;

/// <summary>
/// Consistent hashing by a key (<see cref="RoutingOptions.Key"/>): each worker owns <see cref="PointsPerWorker"/> points
/// on a 64-bit ring, placed by hashing its node id, and a key goes to the owner of the first point at or after the key's
/// hash. Every gateway computes the same ring from the same workers, so the clients of one key meet on one worker
/// whichever gateway they are connected to; a joining worker takes about 1/n of the keys (only those whose ranges its
/// points cut), and a leaving one gives only its own keys away. Clients without a key go round-robin and stay put.
/// </summary>
internal sealed class ConsistentHashRouter : IEventRouter
{
    /// <summary>Points per worker: with 160 the share of keys per worker stays within about ±10 % of even.</summary>
    public const int PointsPerWorker = 160;

    private readonly KeyKind _kind;
    private readonly string _argument; // the group prefix or the session field
    private readonly RoundRobinRouter _fallback = new();
    private readonly ConditionalWeakTable<IReadOnlyList<RoutingWorker>, Ring> _rings = [];

    private ConsistentHashRouter(KeyKind kind, string argument)
    {
        _kind = kind;
        _argument = argument;
    }

    private enum KeyKind
    {
        Uid,
        Group,
        Session,
    }

    public RoutingInputs Inputs => RoutingInputs.Workers | _kind switch
    {
        KeyKind.Uid => RoutingInputs.Uid,
        KeyKind.Group => RoutingInputs.Groups,
        _ => RoutingInputs.Session,
    };

    /// <summary>A router for a <see cref="RoutingOptions.Key"/> setting; throws with what to write when it is not one.</summary>
    public static ConsistentHashRouter Create(string key)
    {
        string k = key?.Trim() ?? "";
        if (k.Equals("uid", StringComparison.OrdinalIgnoreCase))
        {
            return new ConsistentHashRouter(KeyKind.Uid, "");
        }

        if (k.Equals("group", StringComparison.OrdinalIgnoreCase))
        {
            return new ConsistentHashRouter(KeyKind.Group, "");
        }

        if (k.StartsWith("group:", StringComparison.OrdinalIgnoreCase))
        {
            return new ConsistentHashRouter(KeyKind.Group, k["group:".Length..]);
        }

        if (k.StartsWith("session:", StringComparison.OrdinalIgnoreCase) && k.Length > "session:".Length)
        {
            return new ConsistentHashRouter(KeyKind.Session, k["session:".Length..]);
        }

        throw new InvalidOperationException(
            $"SwooleGateway:Gateway:Routing:Key is '{key}'; write 'uid', 'group', 'group:PREFIX' (e.g. 'group:room:') or 'session:FIELD'.");
    }

    public RoutingWorker? Choose(RoutingClient client, IReadOnlyList<RoutingWorker> workers)
    {
        if (KeyOf(client) is not { } key)
        {
            return client.Current is { } current && workers.Contains(current) ? current : _fallback.Next(workers);
        }

        return _rings.GetValue(workers, static w => new Ring(w)).Owner(Hash(key));
    }

    /// <summary>The client's key, or null when it has none.</summary>
    public string? KeyOf(RoutingClient client)
    {
        switch (_kind)
        {
            case KeyKind.Uid:
                return client.Uid;
            case KeyKind.Group:
                string? first = null;
                foreach (string group in client.Groups)
                {
                    if (group.StartsWith(_argument, StringComparison.Ordinal) && (first is null || string.CompareOrdinal(group, first) < 0))
                    {
                        first = group;
                    }
                }

                return first;
            default:
                return client.Session is { } session && session.TryGetValue(_argument, out object? value) && value is not null
                    ? Convert.ToString(value, CultureInfo.InvariantCulture)
                    : null;
        }
    }

    /// <summary>A stable 64-bit hash (FNV-1a over UTF-8, then MurmurHash3's finalizer): the same in every process and machine.</summary>
    public static ulong Hash(string value)
    {
        int max = Encoding.UTF8.GetMaxByteCount(value.Length);
        Span<byte> bytes = max <= 512 ? stackalloc byte[max] : new byte[max];
        int length = Encoding.UTF8.GetBytes(value, bytes);
        ulong h = 14695981039346656037UL;
        foreach (byte b in bytes[..length])
        {
            h = (h ^ b) * 1099511628211UL;
        }

        h ^= h >> 33;
        h *= 0xff51afd7ed558ccdUL;
        h ^= h >> 33;
        h *= 0xc4ceb9fe1a85ec53UL;
        h ^= h >> 33;
        return h;
    }

    /// <summary>The points of one set of workers, sorted (ties broken by node id, so every gateway sorts alike).</summary>
    internal sealed class Ring
    {
        private readonly ulong[] _points;
        private readonly RoutingWorker[] _owners;

        public Ring(IReadOnlyList<RoutingWorker> workers)
        {
            var points = new (ulong Point, RoutingWorker Owner)[workers.Count * PointsPerWorker];
            int n = 0;
            foreach (RoutingWorker worker in workers)
            {
                for (int i = 0; i < PointsPerWorker; i++)
                {
                    points[n++] = (Hash(worker.NodeId + "#" + i.ToString(CultureInfo.InvariantCulture)), worker);
                }
            }

            Array.Sort(points, static (a, b) => a.Point != b.Point ? a.Point.CompareTo(b.Point) : string.CompareOrdinal(a.Owner.NodeId, b.Owner.NodeId));
            _points = [.. points.Select(p => p.Point)];
            _owners = [.. points.Select(p => p.Owner)];
        }

        public RoutingWorker? Owner(ulong hash)
        {
            if (_points.Length == 0)
            {
                return null;
            }

            int i = Array.BinarySearch(_points, hash);
            if (i < 0)
            {
                i = ~i;
            }

            return _owners[i == _points.Length ? 0 : i];
        }
    }
}
