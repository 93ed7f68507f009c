namespace SwooleGateway.Protocol;

/// <summary>Which parts of a client's info to fetch (wire values of GetClientInfo's fields argument).</summary>
[Flags]
public enum ClientInfoFlags : uint
{
    None = 0,
    RemoteAddress = 1,
    RemotePort = 2,
    Uid = 4,
    Session = 8,
    Groups = 16,

    /// <summary>Transport, listener, connect time, bytes and messages in and out.</summary>
    System = 32,
    All = RemoteAddress | RemotePort | Uid | Session | Groups | System,
}
