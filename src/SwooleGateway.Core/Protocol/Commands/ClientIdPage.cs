namespace SwooleGateway.Protocol.Commands;

/// <summary>One page of connection numbers, ascending, and whether more follow.</summary>
internal readonly record struct ClientIdPage(ulong[] Ids, bool More) : IWireFields<ClientIdPage>
{
    public static string Schema => "connIds:[u64], more:bool";

    public void Write(ref FieldWriter writer)
    {
        writer.ULongs(new ULongList(Ids));
        writer.Bool(More);
    }

    public static ClientIdPage Read(ref FieldReader reader)
    {
        ULongList list = reader.ULongs();
        var ids = new ulong[list.Count];
        int i = 0;
        foreach (ulong id in list)
        {
            ids[i++] = id;
        }

        return new ClientIdPage(ids, reader.Bool());
    }
}
