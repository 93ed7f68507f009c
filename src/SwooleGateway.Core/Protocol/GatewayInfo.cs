namespace SwooleGateway.Protocol;

/// <summary>A gateway as the register knows it.</summary>
internal sealed record GatewayInfo(string GatewayId, string Address);
