using System.Text.Json;
using SwooleGateway.Protocol;
using SwooleGateway.Protocol.Messages;

namespace SwooleGateway.Register;

/// <summary>
/// The register's view of the cluster: every gateway, worker and API client linked to it, with the latest status report
/// of each (gateways and workers send one every StatusInterval) and the rates of its counters between the last two
/// reports. Soft state, like the gateway list: it is rebuilt from the links after a restart.
/// </summary>
internal sealed class ClusterView
{
    private readonly Lock _gate = new();
    private readonly Dictionary<InternalConnection, Member> _members = [];

    /// <summary>Links by role now (for the members gauge).</summary>
    public int Count(string role)
    {
        lock (_gate)
        {
            return _members.Values.Count(m => m.Role == role);
        }
    }

    public void Connected(InternalConnection link)
    {
        var member = new Member
        {
            Role = link.PeerRole,
            NodeId = link.PeerId,
            Remote = link.RemoteEndPoint?.ToString() ?? "",
            ConnectedMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
            Tags = link.PeerTags,
        };
        lock (_gate)
        {
            _members[link] = member;
        }
    }

    public void Disconnected(InternalConnection link)
    {
        lock (_gate)
        {
            _members.Remove(link);
        }
    }

    /// <summary>A status report arrived on <paramref name="link"/>: it replaces the last one; counters (<c>*_total</c>) become rates.</summary>
    public void Report(InternalConnection link, StatusReportFrame report)
    {
        long now = Environment.TickCount64;
        lock (_gate)
        {
            if (!_members.TryGetValue(link, out Member? member))
            {
                return;
            }

            var rates = new Dictionary<string, double>(StringComparer.Ordinal);
            if (member.Values is { } previous && now > member.ReportedAt)
            {
                double seconds = (now - member.ReportedAt) / 1000.0;
                foreach (KeyValuePair<string, ulong> value in report.Values)
                {
                    if (value.Key.EndsWith("_total", StringComparison.Ordinal) && previous.TryGetValue(value.Key, out ulong before) && value.Value >= before)
                    {
                        rates[value.Key[..^"_total".Length] + "_per_second"] = (value.Value - before) / seconds;
                    }
                }
            }

            member.Version = report.Version;
            member.Framework = report.Framework;
            member.StartedMs = report.StartedMs;
            member.Address = report.Address;
            member.Tags = report.Tags;
            member.Values = report.Values;
            member.Rates = rates;
            member.ReportedAt = now;
        }
    }

    /// <summary>The view as JSON (the admin endpoint's <c>/status.json</c>; its shape is documented in docs/operations.md).</summary>
    public void WriteJson(Utf8JsonWriter json, string registerId, string registerAddress)
    {
        long now = Environment.TickCount64;
        Member[] members;
        lock (_gate)
        {
            members = [.. _members.Values.Select(m => m.Clone())];
        }

        json.WriteStartObject();
        json.WriteNumber("generatedMs", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        json.WriteStartObject("register");
        json.WriteString("nodeId", registerId);
        json.WriteString("address", registerAddress);
        json.WriteString("version", Hosting.NodeIdentity.Version);
        json.WriteString("framework", Hosting.NodeIdentity.Framework);
        json.WriteNumber("startedMs", Hosting.NodeIdentity.StartedMs);
        json.WriteEndObject();

        json.WriteStartObject("totals");
        json.WriteNumber("gateways", members.Count(m => m.Role == "gateway"));
        json.WriteNumber("workers", members.Count(m => m.Role == "worker"));
        json.WriteNumber("clients", members.Count(m => m.Role == "client"));
        json.WriteNumber("connections", members.Where(m => m.Role == "gateway").Sum(m => (long)(m.Values?.GetValueOrDefault("connections") ?? 0)));
        json.WriteNumber("eventsPerSecond", Math.Round(members.Where(m => m.Role == "gateway").Sum(m => m.Rates.GetValueOrDefault("events_per_second")), 1));
        json.WriteEndObject();

        json.WriteStartArray("nodes");
        foreach (Member m in members.OrderBy(m => RoleOrder(m.Role)).ThenBy(m => m.NodeId, StringComparer.Ordinal))
        {
            json.WriteStartObject();
            json.WriteString("role", m.Role);
            json.WriteString("nodeId", m.NodeId);
            json.WriteString("address", m.Address);
            json.WriteString("remote", m.Remote);
            json.WriteString("version", m.Version);
            json.WriteString("framework", m.Framework);
            json.WriteNumber("startedMs", m.StartedMs);
            json.WriteNumber("connectedMs", m.ConnectedMs);
            if (m.Values is null)
            {
                json.WriteNull("reportAgeMs");
            }
            else
            {
                json.WriteNumber("reportAgeMs", now - m.ReportedAt);
            }

            json.WriteStartArray("tags");
            foreach (string tag in m.Tags)
            {
                json.WriteStringValue(tag);
            }

            json.WriteEndArray();
            json.WriteStartObject("values");
            foreach (KeyValuePair<string, ulong> value in m.Values ?? new Dictionary<string, ulong>())
            {
                json.WriteNumber(value.Key, value.Value);
            }

            json.WriteEndObject();
            json.WriteStartObject("rates");
            foreach (KeyValuePair<string, double> rate in m.Rates)
            {
                json.WriteNumber(rate.Key, Math.Round(rate.Value, 1));
            }

            json.WriteEndObject();
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static int RoleOrder(string role) => role switch
    {
        "gateway" => 0,
        "worker" => 1,
        _ => 2,
    };

    private sealed class Member
    {
        public string Role = "";
        public string NodeId = "";
        public string Remote = "";
        public long ConnectedMs;
        public string Version = "";
        public string Framework = "";
        public ulong StartedMs;
        public string Address = "";
        public string[] Tags = [];
        public IReadOnlyDictionary<string, ulong>? Values;
        public Dictionary<string, double> Rates = [];
        public long ReportedAt;

        public Member Clone() => (Member)MemberwiseClone();
    }
}
