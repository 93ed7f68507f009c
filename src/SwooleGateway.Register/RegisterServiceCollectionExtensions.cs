using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SwooleGateway.Options;
using SwooleGateway.Transport;
using Microsoft.Extensions.DependencyInjection;
using SwooleGateway.Hosting;

namespace SwooleGateway.Register;

public static class RegisterServiceCollectionExtensions
{
    /// <summary>Adds the register role, configured from <c>SwooleGateway</c> and <c>SwooleGateway:Register</c>.</summary>
    public static IServiceCollection AddSwooleGatewayRegister(this IServiceCollection services, Action<RegisterOptions>? configure = null)
    {
        services.AddSwooleGatewayCore();
        var builder = services.AddOptions<RegisterOptions>().BindConfiguration(RegisterOptions.SectionName);
        if (configure is not null)
        {
            builder.Configure(configure);
        }

        services.AddSingleton(sp => new RegisterServer(sp.GetRequiredService<IOptions<SwooleGatewayOptions>>(), sp.GetRequiredService<IOptions<RegisterOptions>>(),
            sp.GetRequiredService<SocketTransport>(), sp.GetRequiredService<ILogger<RegisterServer>>(), sp.GetService<IMeterFactory>()));
        services.AddHostedService(sp => sp.GetRequiredService<RegisterServer>());
        return services;
    }
}
