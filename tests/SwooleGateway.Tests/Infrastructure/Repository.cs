using System.Net;
using System.Net.Sockets;

namespace SwooleGateway.Tests.Infrastructure;

/// <summary>Where the repository and the samples' build outputs are, from the running tests; and a free loopback port.</summary>
public static class Repository
{
    /// <summary>The folder of SwooleGateway.sln.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>A sample's build output, in the configuration the tests were built in (bin/&lt;Configuration&gt;/net10.0).</summary>
    public static string SampleOutput(string name)
    {
        string configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;
        return Path.Combine(Root, "samples", name, "bin", configuration, "net10.0");
    }

    /// <summary>
    /// A loopback port free right now, for the one setting that cannot take port 0: the register address that the
    /// other roles of an all-in-one process are configured with before it starts.
    /// </summary>
    public static int FreePort()
    {
        using var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }

    private static string FindRoot()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "SwooleGateway.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("SwooleGateway.sln not found above " + AppContext.BaseDirectory);
    }
}
