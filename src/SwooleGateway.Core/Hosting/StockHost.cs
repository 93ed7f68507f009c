using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace SwooleGateway.Hosting;

/// <summary>
/// The host builder of the stock processes (register, gateway, samples): settings from the appsettings.json beside the
/// program, then from an appsettings.json (and appsettings.{Environment}.json) in the current folder, then environment
/// variables and the command line, each overriding the one before. Both files are watched: settings that can change
/// while running (throttle, per-IP limit, log levels, ...) take effect when the file is saved.
/// </summary>
public static class StockHost
{
    public static HostApplicationBuilder CreateBuilder(string[] args)
    {
        HostApplicationBuilder builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args, ContentRootPath = AppContext.BaseDirectory });
        string current = Path.GetFullPath(Directory.GetCurrentDirectory());
        if (!string.Equals(current.TrimEnd(Path.DirectorySeparatorChar), Path.GetFullPath(AppContext.BaseDirectory).TrimEnd(Path.DirectorySeparatorChar), StringComparison.Ordinal))
        {
            IList<IConfigurationSource> sources = builder.Configuration.Sources;
            int after = 0;
            for (int i = 0; i < sources.Count; i++)
            {
                if (sources[i] is JsonConfigurationSource)
                {
                    after = i + 1;
                }
            }

            // Absolute paths: a relative one would be resolved against the host's base path (the program's folder).
            var tmp = new ConfigurationBuilder()
                .AddJsonFile(Path.Combine(current, "appsettings.json"), optional: true, reloadOnChange: true)
                .AddJsonFile(Path.Combine(current, $"appsettings.{builder.Environment.EnvironmentName}.json"), optional: true, reloadOnChange: true);
            foreach (IConfigurationSource source in tmp.Sources.Reverse())
            {
                sources.Insert(after, source);
            }
        }

        return builder;
    }

    /// <summary>
    /// Builds and runs a stock process until it is stopped. A setting that is not valid ends it with one line on stderr
    /// that says which and what to write (exit code 1), not a stack trace; anything else unexpected is printed in full.
    /// </summary>
    public static async Task<int> RunAsync(string role, string[] args, Action<HostApplicationBuilder> configure)
    {
        try
        {
            HostApplicationBuilder builder = CreateBuilder(args);
            configure(builder);
            using IHost host = builder.Build();
            IHostedService[] roles = [.. host.Services.GetServices<IHostedService>()];
            await host.RunAsync().ConfigureAwait(false);

            // A role that failed while running (it could not bind its port, say) stopped the host: exit 1, saying why.
            foreach (IHostedService service in roles)
            {
                if (service is BackgroundService { ExecuteTask: { IsFaulted: true } failed })
                {
                    Exception error = failed.Exception!.GetBaseException();
                    await Console.Error.WriteLineAsync($"{role}: {Setting(error) ?? error.ToString()}").ConfigureAwait(false);
                    return 1;
                }
            }

            return 0;
        }
        catch (Exception ex) when (Setting(ex) is { } message)
        {
            await Console.Error.WriteLineAsync($"{role}: {message}").ConfigureAwait(false);
            return 1;
        }
    }

    /// <summary>The message of an exception that means "a setting is wrong", or null for any other.</summary>
    private static string? Setting(Exception ex) => ex switch
    {
        AggregateException { InnerExceptions.Count: 1 } aggregate => Setting(aggregate.InnerExceptions[0]),
        Microsoft.Extensions.Options.OptionsValidationException validation => validation.Message,
        InvalidOperationException { InnerException: { } inner } when Setting(inner) is { } message => message, // the binder wraps a bad value
        InvalidOperationException or FormatException or ArgumentException => ex.Message,
        System.Net.Sockets.SocketException socket => $"cannot listen: {socket.Message} (is the address right and the port free?)",
        _ => null,
    };
}
