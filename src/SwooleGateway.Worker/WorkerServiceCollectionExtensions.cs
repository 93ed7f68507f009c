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
        services.AddSingleton<WorkerService>(sp => ActivatorUtilities.CreateInstance<WorkerService>(sp, sp.GetRequiredService<THandler>()));
        services.AddHostedService(sp => sp.GetRequiredService<WorkerService>());
        services.AddSingleton(sp => sp.GetRequiredService<WorkerService>().Api);
        return services;
    }
}
