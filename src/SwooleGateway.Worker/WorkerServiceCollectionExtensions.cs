using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SwooleGateway.Options;
using SwooleGateway.Transport;
using Microsoft.Extensions.DependencyInjection;
using SwooleGateway.Hosting;

namespace SwooleGateway.Worker;

public static class WorkerServiceCollectionExtensions
{
    /// <summary>
    /// Adds the worker role with <typeparamref name="THandler"/> as the event handler (a singleton),
    /// configured from <c>SwooleGateway</c> and <c>SwooleGateway:Worker</c>.
    /// </summary>
    public static IServiceCollection AddSwooleGatewayWorker<THandler>(this IServiceCollection services, Action<WorkerOptions>? configure = null)
        where THandler : GatewayEventHandler
    {
        services.AddSwooleGatewayCore();
        var builder = services.AddOptions<WorkerOptions>().BindConfiguration(WorkerOptions.SectionName);
        if (configure is not null)
        {
            builder.Configure(configure);
        }

        services.AddSingleton<THandler>();
        services.AddSingleton(sp => new WorkerService(sp.GetRequiredService<THandler>(), sp.GetRequiredService<IOptions<SwooleGatewayOptions>>(),
            sp.GetRequiredService<IOptions<WorkerOptions>>(), sp.GetRequiredService<SocketTransport>(), sp.GetRequiredService<ILogger<WorkerService>>(),
            sp.GetService<IMeterFactory>()));
        services.AddHostedService(sp => sp.GetRequiredService<WorkerService>());
        services.AddSingleton(sp => sp.GetRequiredService<WorkerService>().Api);
        return services;
    }

    /// <summary>
    /// Adds a <see cref="GatewayClient"/>: the Gateway API for a process that is not a worker (it receives no
    /// client events). Configured from <c>SwooleGateway</c> (registers, secret) and <c>SwooleGateway:Worker</c>
    /// (call timeout, name). Inject <see cref="GatewayClient"/> or <see cref="GatewayApi"/>.
    /// </summary>
    public static IServiceCollection AddSwooleGatewayClient(this IServiceCollection services)
    {
        services.AddSwooleGatewayCore();
        services.AddOptions<WorkerOptions>().BindConfiguration(WorkerOptions.SectionName);
        services.AddSingleton(sp => new GatewayClient(sp.GetRequiredService<IOptions<SwooleGatewayOptions>>(), sp.GetRequiredService<IOptions<WorkerOptions>>(),
            sp.GetRequiredService<SocketTransport>(), sp.GetService<ILogger<GatewayClient>>()));
        services.AddHostedService(sp => sp.GetRequiredService<GatewayClient>());
        services.AddSingleton(sp => sp.GetRequiredService<GatewayClient>().Api);
        return services;
    }
}
