using System.Collections.Concurrent;
using System.Text.Json;
using SwooleGateway.Protocol;
using SwooleGateway.Worker;

namespace TelemetrySample;

/// <summary>
/// Devices (binary, <see cref="DeviceProtocol"/>) and dashboards (JSON over WebSocket) in one handler. A device says
/// hello with its id, which becomes its uid (<c>device:ID</c>); each reading is kept as the device's latest and goes to
/// the dashboards that watch it: group <c>watch:all</c> for <c>{"type":"subscribe"}</c>, <c>watch:ID</c> for
/// <c>{"type":"subscribe","device":"ID"}</c>. A dashboard that subscribes gets the latest reading of every device first.
/// </summary>
public sealed class TelemetryHandler : GatewayEventHandler
{
    private static readonly JsonSerializerOptions s_json = new(JsonSerializerDefaults.Web);
    private static readonly byte[] s_welcome = [DeviceProtocol.Welcome, 0];
    private static readonly byte[] s_badHello = [DeviceProtocol.Welcome, 1];

    private readonly ConcurrentDictionary<string, DeviceReading> _latest = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _deviceOfClient = new(StringComparer.Ordinal);

    public override async ValueTask OnMessage(string clientId, IReadOnlyDictionary<string, object?>? session, ReadOnlyMemory<byte> payload, EventContext context)
    {
        ReadOnlySpan<byte> body = payload.Span;
        if (body.Length > 0 && body[0] == (byte)'{')
        {
            await OnDashboard(clientId, body.ToArray());
            return;
        }

        if (body.Length > 0 && body[0] == DeviceProtocol.Hello)
        {
            if (!DeviceProtocol.TryReadHello(body, out string deviceId))
            {
                await Gateway.CloseClient(clientId, lastMessage: s_badHello, flags: SendFlags.Binary);
                return;
            }

            _deviceOfClient[clientId] = deviceId;
            await Gateway.BindUid(clientId, "device:" + deviceId);
            await Gateway.SetSession(clientId, new Dictionary<string, object?> { ["device"] = deviceId }); // for another worker, after a move
            await Gateway.SendToClient(clientId, s_welcome, SendFlags.Binary);
            return;
        }

        string? device = _deviceOfClient.GetValueOrDefault(clientId) ?? session?.GetValueOrDefault("device") as string;
        if (device is null
            || !DeviceProtocol.TryReadReading(body, out uint seq, out double temperature, out double humidity, out int battery))
        {
            await Gateway.CloseClient(clientId); // a reading before hello, or a frame we do not know
            return;
        }

        var reading = new DeviceReading(device, seq, temperature, humidity, battery, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        _latest[device] = reading;
        byte[] json = JsonSerializer.SerializeToUtf8Bytes(new { type = "reading", reading.Device, reading.Seq, reading.Temperature, reading.Humidity, reading.Battery, reading.At }, s_json);
        await Gateway.SendToGroups(["watch:all", "watch:" + device], json, flags: SendFlags.Text);
    }

    public override async ValueTask OnClose(string clientId, CloseInfo info)
    {
        _deviceOfClient.TryRemove(clientId, out _);
        if (info.Uid is { } uid && uid.StartsWith("device:", StringComparison.Ordinal) && !await Gateway.IsUidOnline(uid))
        {
            string device = uid["device:".Length..];
            _latest.TryRemove(device, out _);
            await Gateway.SendToGroups(["watch:all", "watch:" + device], JsonSerializer.SerializeToUtf8Bytes(new { type = "offline", device }, s_json), flags: SendFlags.Text);
        }
    }

    private async Task OnDashboard(string clientId, byte[] json)
    {
        Subscribe? request;
        try
        {
            request = JsonSerializer.Deserialize<Subscribe>(json, s_json);
        }
        catch (JsonException)
        {
            request = null;
        }

        if (request?.Type != "subscribe")
        {
            await Gateway.SendToClient(clientId, JsonSerializer.Serialize(new { type = "error", text = "send {\"type\":\"subscribe\"} or {\"type\":\"subscribe\",\"device\":\"ID\"}" }, s_json));
            return;
        }

        string group = string.IsNullOrEmpty(request.Device) || request.Device == "*" ? "watch:all" : "watch:" + request.Device;
        await Gateway.JoinGroup(clientId, group);
        DeviceReading[] snapshot = [.. _latest.Values.Where(r => group == "watch:all" || r.Device == request.Device).OrderBy(r => r.Device, StringComparer.Ordinal)];
        await Gateway.SendToClient(clientId, JsonSerializer.Serialize(new { type = "snapshot", devices = snapshot }, s_json));
    }

    private sealed record Subscribe(string? Type, string? Device);
}

/// <summary>The latest reading of a device.</summary>
public sealed record DeviceReading(string Device, uint Seq, double Temperature, double Humidity, int Battery, long At);
