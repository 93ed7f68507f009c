namespace SwooleGateway.Protocol.Commands;

/// <summary>The values of a <see cref="ClientInfoResult"/>; <see cref="Fields"/> says which are present.</summary>
internal sealed class ClientInfoValues
{
    public ClientInfoFlags Fields { get; set; }

    public string? RemoteAddress { get; set; }

    public int RemotePort { get; set; }

    public string? Uid { get; set; }

    public byte[]? Session { get; set; }

    public string[]? Groups { get; set; }

    public string? Transport { get; set; }

    public string? Listener { get; set; }

    public long ConnectedAt { get; set; }

    public long BytesIn { get; set; }

    public long BytesOut { get; set; }

    public long MessagesIn { get; set; }

    public long MessagesOut { get; set; }
}
