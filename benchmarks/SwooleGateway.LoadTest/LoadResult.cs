using System.Globalization;
using System.Text.Json.Serialization;

namespace SwooleGateway.LoadTest;

public sealed class LoadResult
{
    public string Mode { get; init; } = "";

    public string Transport { get; init; } = "";

    public string Target { get; init; } = "";

    public int Connections { get; init; }

    public int Size { get; init; }

    public double Seconds { get; init; }

    /// <summary>Echo: round trips; broadcast: deliveries to receivers.</summary>
    public long Completed { get; init; }

    public double PerSecond { get; init; }

    /// <summary>Broadcast: deliveries expected but not received after the drain.</summary>
    public long Missing { get; init; }

    public long Errors { get; init; }

    public double P50Ms { get; init; }

    public double P90Ms { get; init; }

    public double P99Ms { get; init; }

    public double MaxMs { get; init; }

    /// <summary>Idle: summed RSS of the measured server processes before and after connecting.</summary>
    public long RssBefore { get; init; }

    public long RssAfter { get; init; }

    public double BytesPerConnection { get; init; }

    /// <summary>Broadcast: clients that never read.</summary>
    public int Stalled { get; init; }

    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"{Mode} over {Transport} to {Target}: {Connections} connections, {Size} B, {Seconds:0.0} s: {Completed:N0} completed = {PerSecond:N0}/s; latency p50 {P50Ms:0.000} ms p90 {P90Ms:0.000} ms p99 {P99Ms:0.000} ms max {MaxMs:0.000} ms; missing {Missing}; errors {Errors}");
}

[JsonSerializable(typeof(LoadResult))]
[JsonSerializable(typeof(Invocation))]
internal sealed partial class LoadJson : JsonSerializerContext;
