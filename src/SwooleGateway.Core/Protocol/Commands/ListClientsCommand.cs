namespace SwooleGateway.Protocol.Commands;

/// <summary>One page of connection numbers above <c>after</c>, smallest first: all clients, a group's or a uid's.</summary>
internal readonly record struct ListClientsCommand(ListScope Scope, string? Key, ulong After, uint Limit) : ICommand<ListClientsCommand, ClientIdPage>
{
    public static uint Op => 27;

    public static string Schema => "scope:uint, key:str|nil, after:u64, limit:uint";

    public void Write(ref FieldWriter writer)
    {
        writer.UInt((uint)Scope);
        writer.String(Key);
        writer.ULong(After);
        writer.UInt(Limit);
    }

    public static ListClientsCommand Read(ref FieldReader reader) => new((ListScope)reader.UInt(), reader.String(), reader.ULong(), reader.UInt());
}
