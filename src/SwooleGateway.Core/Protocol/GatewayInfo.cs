namespace SwooleGateway.Protocol;

/// <summary>A gateway as the register knows it.</summary>
public sealed record GatewayInfo(string GatewayId, string Address);
