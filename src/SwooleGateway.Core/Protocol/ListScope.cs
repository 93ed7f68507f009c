namespace SwooleGateway.Protocol;

/// <summary>Which clients a ListClients command pages through. Values are wire format.</summary>
internal enum ListScope : uint
{
    All = 0,
    Group = 1,
    Uid = 2,
}
