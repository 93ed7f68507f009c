using Microsoft.Extensions.Options;

namespace SwooleGateway.Gateway;

/// <summary>
/// The gateway settings that may change while running (throttle, per-IP limit): a field updated when the configuration
/// reloads, so the per-message path reads a field instead of looking options up.
/// </summary>
internal sealed class LiveGatewayOptions
{
    private volatile GatewayOptions _current;

    public LiveGatewayOptions(GatewayOptions initial, IOptionsMonitor<GatewayOptions>? monitor)
    {
        _current = monitor?.CurrentValue ?? initial;
        monitor?.OnChange(value => _current = value);
    }

    public GatewayOptions Current => _current;
}
