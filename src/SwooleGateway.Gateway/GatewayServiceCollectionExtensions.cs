using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using SwooleGateway.Hosting;

namespace SwooleGateway.Gateway;

public static class GatewayServiceCollectionExtensions
{
    /// <summary>Adds the gateway role, configured from <c>SwooleGateway</c> and <c>SwooleGateway:Gateway</c>.</summary>
    public static IServiceCollection AddSwooleGatewayGateway(this IServiceCollection services, Action<GatewayOptions>? configure = null)
    {
        services.AddSwooleGatewayCore();
        var builder = services.AddOptions<GatewayOptions>().BindConfiguration(GatewayOptions.SectionName)
            .Configure<IConfiguration>((options, configuration) =>
            {
                // The binder would replace the default listeners with whatever entries it finds; merge them instead.
                if (GatewayOptions.MergeListeners(configuration.GetSection(GatewayOptions.SectionName + ":Listeners")) is { } listeners)
                {
                    options.Listeners = listeners;
                }
            });
        if (configure is not null)
        {
            builder.Configure(configure);
        }

        services.AddOptions<GatewayCommandOptions>();
        services.AddOptions<GatewayFramerOptions>();
        services.AddOptions<GatewayAuthorizationOptions>();
        services.AddSingleton<GatewayServer>();
        services.AddSingleton(sp => new GatewayEndpoints(sp.GetRequiredService<GatewayServer>()));
        services.AddHostedService(sp => sp.GetRequiredService<GatewayServer>());
        return services;
    }

    /// <summary>Decides, before a client is accepted, whether it may connect (and may bind its uid and session at once).</summary>
    public static IServiceCollection AddSwooleGatewayAuthorizer(this IServiceCollection services, ClientAuthorizer authorizer)
    {
        ArgumentNullException.ThrowIfNull(authorizer);
        services.Configure<GatewayAuthorizationOptions>(o => o.Authorizer = authorizer);
        return services;
    }

    /// <summary>Registers a custom TCP framer; a listener uses it with <c>"Framing": "Custom", "Framer": name</c>. The factory runs once per connection.</summary>
    public static IServiceCollection AddSwooleGatewayFramer(this IServiceCollection services, string name, Func<Framing.IClientFramer> factory)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(factory);
        services.Configure<GatewayFramerOptions>(o => o.Framers[name] = factory);
        return services;
    }

    /// <summary>Registers a custom command that workers can call on this gateway by <paramref name="name"/>.</summary>
    public static IServiceCollection AddSwooleGatewayCommand(this IServiceCollection services, string name, GatewayCommandHandler handler)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(handler);
        services.Configure<GatewayCommandOptions>(o => o.Handlers[name] = handler);
        return services;
    }
}
