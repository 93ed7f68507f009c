using System.Buffers;
using MessagePack;

namespace SwooleGateway.Protocol;

/// <summary>
/// Frames on register links (after the handshake; see <see cref="Handshake"/>).
/// </summary>
/// <remarks>
/// <code>
/// Announce    gateway→register [16, address:str, gatewayId:str]
///             address is the gateway's advertised internal address, host:port or [ipv6]:port.
///             Sent after every (re)connect; the register forgets the gateway when its link dies.
/// Subscribe   worker/client→register [17]
/// GatewayList register→subscriber [18, [[gatewayId:str, address:str], ...]]
///             The full current list; sent after Subscribe and again after every change.
/// </code>
/// Trailing items a reader does not know are ignored.
/// </remarks>
internal static class RegisterProtocol
{
    public static ReadOnlySpan<byte> WriteAnnounce(string address, string gatewayId)
    {
        var scratch = FrameCodec.BeginFrame();
        var w = new MessagePackWriter(scratch);
        w.WriteArrayHeader(3);
        w.Write((uint)MessageKind.Announce);
        w.Write(address);
        w.Write(gatewayId);
        w.Flush();
        return FrameCodec.EndFrame(scratch);
    }

    public static (string Address, string GatewayId) ReadAnnounce(ref MessagePackReader r, int fields)
    {
        if (fields < 2)
        {
            ThrowHelper.Protocol("Announce needs 2 fields");
        }

        string? address = r.ReadString();
        string? id = r.ReadString();
        if (string.IsNullOrEmpty(address) || string.IsNullOrEmpty(id) || address.Length > 300 || id.Length > Handshake.MaxNameLength)
        {
            ThrowHelper.Protocol("Announce has an empty or oversized address or id");
        }

        SkipRest(ref r, fields - 2);
        return (address, id);
    }

    public static ReadOnlySpan<byte> WriteGatewayList(IReadOnlyCollection<GatewayInfo> gateways)
    {
        var scratch = FrameCodec.BeginFrame();
        var w = new MessagePackWriter(scratch);
        w.WriteArrayHeader(2);
        w.Write((uint)MessageKind.GatewayList);
        w.WriteArrayHeader(gateways.Count);
        foreach (GatewayInfo g in gateways)
        {
            w.WriteArrayHeader(2);
            w.Write(g.GatewayId);
            w.Write(g.Address);
        }

        w.Flush();
        return FrameCodec.EndFrame(scratch);
    }

    public static List<GatewayInfo> ReadGatewayList(ref MessagePackReader r, int fields)
    {
        if (fields < 1)
        {
            ThrowHelper.Protocol("GatewayList needs 1 field");
        }

        int count = r.ReadArrayHeader();
        var list = new List<GatewayInfo>(Math.Min(count, 1024));
        for (int i = 0; i < count; i++)
        {
            int items = r.ReadArrayHeader();
            if (items < 2)
            {
                ThrowHelper.Protocol("GatewayList entry needs 2 items");
            }

            string id = r.ReadString() ?? "";
            string address = r.ReadString() ?? "";
            for (int j = 2; j < items; j++)
            {
                r.Skip();
            }

            list.Add(new GatewayInfo(id, address));
        }

        SkipRest(ref r, fields - 1);
        return list;
    }

    internal static void SkipRest(ref MessagePackReader r, int count)
    {
        for (int i = 0; i < count; i++)
        {
            r.Skip();
        }
    }
}

/// <summary>A gateway as the register knows it.</summary>
public sealed record GatewayInfo(string GatewayId, string Address);
