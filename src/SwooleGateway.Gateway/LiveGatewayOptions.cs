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
        monitor?.OnChange(value =>
        {
            GatewayOptions previous = _current;
            _current = value;
            Changed?.Invoke(previous, value);
        });
    }

    /// <summary>Raised after the configuration changed (previous, current), on the thread that noticed the change.</summary>
    public event Action<GatewayOptions, GatewayOptions>? Changed;

    public GatewayOptions Current => _current;
}
