using MessagePack;

namespace SwooleGateway.Protocol.Messages;

/// <summary>
/// Register link, register → subscriber: <c>[18, gateways:[[gatewayId:str, address:str]]]</c>, the full current list,
/// sent after Subscribe and again after every change. Items a reader does not know are skipped (also inside an entry).
/// </summary>
internal readonly record struct GatewayListFrame(IReadOnlyList<GatewayInfo> Gateways) : IFrameMessage<GatewayListFrame>
{
    public static MessageKind Kind => MessageKind.GatewayList;

    public static string Schema => "gateways:[[gatewayId:str, address:str]]";

    public void Write(ref FieldWriter writer)
    {
        ref MessagePackWriter w = ref writer.Nested();
        w.WriteArrayHeader(Gateways.Count);
        foreach (GatewayInfo g in Gateways)
        {
            w.WriteArrayHeader(2);
            w.Write(g.GatewayId);
            w.Write(g.Address);
        }
    }

    public static GatewayListFrame Read(ref FieldReader reader)
    {
        ref MessagePackReader r = ref reader.Nested();
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

        return new GatewayListFrame(list);
    }
}
