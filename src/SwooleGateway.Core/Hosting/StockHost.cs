using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.Json;
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
}
