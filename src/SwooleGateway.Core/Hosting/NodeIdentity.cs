using System.Diagnostics;
using System.Reflection;

namespace SwooleGateway.Hosting;

/// <summary>What a process reports about itself in its status: the application's version, SwooleGateway's, and when it started.</summary>
internal static class NodeIdentity
{
    /// <summary>The entry assembly's informational version (the application's own), e.g. <c>2.1.0+3f2a9c1</c>.</summary>
    public static string Version { get; } = Clip(VersionOf(Assembly.GetEntryAssembly()));

    /// <summary>SwooleGateway's version.</summary>
    public static string Framework { get; } = Clip(VersionOf(typeof(NodeIdentity).Assembly));

    /// <summary>When this process started, in Unix milliseconds.</summary>
    public static ulong StartedMs { get; } = (ulong)new DateTimeOffset(Process.GetCurrentProcess().StartTime.ToUniversalTime()).ToUnixTimeMilliseconds();

    private static string VersionOf(Assembly? assembly) =>
        assembly?.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? assembly?.GetName().Version?.ToString() ?? "unknown";

    private static string Clip(string value) => value.Length <= 100 ? value : value[..100];
}
