using EchoSample;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry.Metrics;
using SwooleGateway.Gateway;
using SwooleGateway.Register;
using SwooleGateway.Worker;

// dotnet run --project samples/SwooleGateway.Samples.Echo                 a worker against the register at 127.0.0.1:1236
// dotnet run --project samples/SwooleGateway.Samples.Echo -- --all-in-one  register + gateway + worker in this one process
//
// Metrics: every role publishes on its meter (SwooleGateway.Register, .Gateway, .Worker). dotnet-counters reads them as
// they are (dotnet-counters monitor --counters SwooleGateway.Gateway,SwooleGateway.Worker -n SwooleGateway.Samples.Echo);
// this sample also exports them with the OpenTelemetry SDK: over OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set (a
// collector, Prometheus, Grafana, ...), to the console with --Telemetry:Console=true.
bool allInOne = args.Contains("--all-in-one");
string[] hostArgs = [.. args.Where(a => a != "--all-in-one")];

HostApplicationBuilder builder = SwooleGateway.Hosting.StockHost.CreateBuilder(hostArgs);
if (allInOne)
{
    builder.Services.AddSwooleGatewayRegister();
    builder.Services.AddSwooleGatewayGateway();
}

builder.Services.AddSwooleGatewayWorker<EchoHandler>();

bool otlp = !string.IsNullOrEmpty(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
bool console = builder.Configuration.GetValue<bool>("Telemetry:Console");
if (otlp || console)
{
    int intervalMs = builder.Configuration.GetValue("Telemetry:IntervalMs", 10_000);
    builder.Services.AddOpenTelemetry().WithMetrics(metrics =>
    {
        metrics.AddMeter("SwooleGateway.Register", "SwooleGateway.Gateway", "SwooleGateway.Worker");
        if (otlp)
        {
            metrics.AddOtlpExporter((_, reader) => reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = intervalMs);
        }

        if (console)
        {
            metrics.AddConsoleExporter((_, reader) => reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = intervalMs);
        }
    });
}

await builder.Build().RunAsync();
