using MessagePack;

namespace SwooleGateway.Protocol.Messages;

/// <summary>
/// Register link, gateway/worker → register, on connect and every <c>SwooleGateway:StatusInterval</c>:
/// <c>[19, role:str, nodeId:str, version:str, framework:str, startedMs:u64, address:str, tags:[str], values:map]</c>.
/// <c>version</c> is the application's (its entry assembly's informational version), <c>framework</c> SwooleGateway's;
/// <c>startedMs</c> is the process start in Unix milliseconds; <c>address</c> the gateway's advertised internal address
/// (empty for workers); <c>values</c> maps names to unsigned integers: gauges, and counters whose names end in
/// <c>_total</c> (the register turns those into rates). At most <see cref="MaxValues"/> values; names a reader does not
/// know are kept and shown as they are.
/// </summary>
internal readonly record struct StatusReportFrame(
    string Role, string NodeId, string Version, string Framework, ulong StartedMs, string Address, string[] Tags, IReadOnlyDictionary<string, ulong> Values)
    : IFrameMessage<StatusReportFrame>
{
    public const int MaxValues = 256;

    public static MessageKind Kind => MessageKind.StatusReport;

    public static string Schema => "role:str, nodeId:str, version:str, framework:str, startedMs:u64, address:str, tags:[str], values:map";

    public void Write(ref FieldWriter writer)
    {
        writer.String(Role);
        writer.String(NodeId);
        writer.String(Version);
        writer.String(Framework);
        writer.ULong(StartedMs);
        writer.String(Address);
        writer.Strings(new StringList(Tags));
        ref MessagePackWriter w = ref writer.Nested();
        w.WriteMapHeader(Values.Count);
        foreach (KeyValuePair<string, ulong> entry in Values)
        {
            w.Write(entry.Key);
            w.Write(entry.Value);
        }
    }

    public static StatusReportFrame Read(ref FieldReader reader)
    {
        string role = Text(ref reader, Handshake.MaxNameLength, "role");
        string nodeId = Text(ref reader, Handshake.MaxNameLength, "nodeId");
        string version = Text(ref reader, Handshake.MaxNameLength, "version");
        string framework = Text(ref reader, Handshake.MaxNameLength, "framework");
        ulong started = reader.ULong();
        string address = Text(ref reader, AnnounceFrame.MaxAddressLength, "address");
        string[] tags = AuthFrame.ReadTags(ref reader, "StatusReport");
        ref MessagePackReader r = ref reader.Nested();
        int count = r.ReadMapHeader();
        if (count > MaxValues)
        {
            ThrowHelper.Protocol($"StatusReport has {count} values, more than {MaxValues}");
        }

        var values = new Dictionary<string, ulong>(count, StringComparer.Ordinal);
        for (int i = 0; i < count; i++)
        {
            string? name = r.ReadString();
            if (string.IsNullOrEmpty(name) || name.Length > Handshake.MaxNameLength)
            {
                ThrowHelper.Protocol("StatusReport has an empty or oversized value name");
            }

            values[name] = r.ReadUInt64();
        }

        return new StatusReportFrame(role, nodeId, version, framework, started, address, tags, values);
    }

    private static string Text(ref FieldReader reader, int max, string what)
    {
        string? s = reader.String();
        if (s is null || s.Length > max)
        {
            ThrowHelper.Protocol($"StatusReport {what} missing or longer than {max} characters");
        }

        return s;
    }
}
