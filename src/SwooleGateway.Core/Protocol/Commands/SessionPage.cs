using System.Buffers;
using MessagePack;

namespace SwooleGateway.Protocol.Commands;

/// <summary>One page of (connection number, session) pairs, ascending by number, and whether more follow.</summary>
internal readonly record struct SessionPage(IReadOnlyList<(ulong Id, byte[]? Session)> Items, bool More) : IWireFields<SessionPage>
{
    public static string Schema => "sessions:[[connId:u64, session:bin|nil]], more:bool";

    public void Write(ref FieldWriter writer)
    {
        ref MessagePackWriter w = ref writer.Nested();
        w.WriteArrayHeader(Items.Count);
        foreach ((ulong id, byte[]? session) in Items)
        {
            w.WriteArrayHeader(2);
            w.Write(id);
            if (session is null)
            {
                w.WriteNil();
            }
            else
            {
                w.Write(session);
            }
        }

        writer.Bool(More);
    }

    public static SessionPage Read(ref FieldReader reader)
    {
        ref MessagePackReader r = ref reader.Nested();
        int count = r.ReadArrayHeader();
        var items = new List<(ulong, byte[]?)>(Math.Min(count, 10_000));
        for (int i = 0; i < count; i++)
        {
            int fields = r.ReadArrayHeader();
            if (fields < 2)
            {
                ThrowHelper.Protocol("a session page entry needs 2 items");
            }

            ulong id = r.ReadUInt64();
            byte[]? session = r.TryReadNil() ? null : r.ReadBytes()?.ToArray();
            for (int j = 2; j < fields; j++)
            {
                r.Skip();
            }

            items.Add((id, session));
        }

        return new SessionPage(items, reader.Bool());
    }
}
