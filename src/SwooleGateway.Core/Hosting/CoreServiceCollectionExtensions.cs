using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using SwooleGateway.Options;
using SwooleGateway.Transport;

namespace SwooleGateway.Hosting;

public static class CoreServiceCollectionExtensions
{
    /// <summary>Binds <see cref="SwooleGatewayOptions"/> to the <c>SwooleGateway</c> section and registers the socket transport. Idempotent.</summary>
    public static IServiceCollection AddSwooleGatewayCore(this IServiceCollection services)
    {
        if (services.Any(d => d.ServiceType == typeof(SocketTransport)))
        {
            return services; // several roles in one host share one binding (binding twice would duplicate list items)
        }

        services.AddOptions<SwooleGatewayOptions>().BindConfiguration(SwooleGatewayOptions.SectionName)
            .PostConfigure<IServiceProvider>((options, provider) =>
            {
                // Handshakes read the secrets of the configuration as it is now (rotation without restart). Resolved at
                // call time: the monitor depends on these very options.
                IOptionsMonitor<SwooleGatewayOptions>? monitor = null;
                options.LiveSecrets = () => (monitor ??= provider.GetRequiredService<IOptionsMonitor<SwooleGatewayOptions>>()).CurrentValue.EffectiveSecrets;
            });
        services.TryAddSingleton(sp => new SocketTransport(sp.GetService<Microsoft.Extensions.Logging.ILoggerFactory>()));
        return services;
    }
}
