using System.Diagnostics;
using System.Net;

namespace SwooleGateway.Tests.Infrastructure;

/// <summary>
/// Simulated machines (issue 12): each host a Linux network namespace with its own address on a private /24 that exists
/// only while the test runs, all joined by a bridge in the test's own namespace, which is itself the "clients host"
/// (address .1). Roles run as the built executables inside their host (<c>ip netns exec</c>). A host can be cut off
/// (its link set down) and healed. Everything created is removed on dispose, also when the test failed. Needs root and
/// the <c>ip</c> tool: <see cref="SkipUnlessAvailable"/>.
/// </summary>
public sealed class SimulatedNetwork : IAsyncDisposable
{
    private readonly string _id = Convert.ToHexString(Guid.NewGuid().ToByteArray())[..6].ToLowerInvariant();
    private readonly Dictionary<string, (string Namespace, string Link, IPAddress Address)> _hosts = new(StringComparer.Ordinal);
    private readonly List<RoleProcess> _processes = [];
    private readonly string _subnet;
    private string Bridge => "sgwb" + _id;

    private SimulatedNetwork()
    {
        // 10.200-249.x.0/24: a private range picked at random per test, so two runs never share one.
        _subnet = $"10.{200 + Random.Shared.Next(50)}.{Random.Shared.Next(256)}";
    }

    /// <summary>The address of the test process on the simulated network (the clients host).</summary>
    public IPAddress ClientsHost => IPAddress.Parse(_subnet + ".1");

    /// <summary>Skips the test, saying why, where namespaces cannot be created (not root, no <c>ip</c>).</summary>
    public static void SkipUnlessAvailable()
    {
        if (!OperatingSystem.IsLinux() || Environment.UserName != "root" || !File.Exists("/usr/sbin/ip") && !File.Exists("/sbin/ip") && !File.Exists("/usr/bin/ip"))
        {
            Assert.Ignore("Simulated machines need Linux network namespaces: run as root with the 'ip' tool (iproute2). .ci/run does; skipped here.");
        }
    }

    /// <summary>Creates the bridge and one namespace per host, addresses .2, .3, ... in the order given.</summary>
    public static async Task<SimulatedNetwork> CreateAsync(params string[] hosts)
    {
        var network = new SimulatedNetwork();
        try
        {
            await Ip("link", "add", network.Bridge, "type", "bridge");
            await Ip("addr", "add", $"{network.ClientsHost}/24", "dev", network.Bridge);
            await Ip("link", "set", network.Bridge, "up");
            for (int i = 0; i < hosts.Length; i++)
            {
                string ns = $"sgw-{network._id}-{hosts[i]}";
                string link = $"sgwv{network._id}{i:x}";
                var address = IPAddress.Parse($"{network._subnet}.{i + 2}");
                network._hosts[hosts[i]] = (ns, link, address);
                await Ip("netns", "add", ns);
                await Ip("link", "add", link, "type", "veth", "peer", "name", "eth0", "netns", ns);
                await Ip("link", "set", link, "master", network.Bridge);
                await Ip("link", "set", link, "up");
                await Ip("-n", ns, "addr", "add", $"{address}/24", "dev", "eth0");
                await Ip("-n", ns, "link", "set", "eth0", "up");
                await Ip("-n", ns, "link", "set", "lo", "up");
            }

            return network;
        }
        catch
        {
            await network.DisposeAsync();
            throw;
        }
    }

    public IPAddress AddressOf(string host) => _hosts[host].Address;

    /// <summary>Starts <paramref name="assembly"/> (a dll next to the tests) inside <paramref name="host"/>.</summary>
    public RoleProcess Start(string host, string assembly, params string[] args)
    {
        RoleProcess process = RoleProcess.StartFile("ip", AppContext.BaseDirectory,
            ["netns", "exec", _hosts[host].Namespace, "dotnet", Path.Combine(AppContext.BaseDirectory, assembly + ".dll"), .. args]);
        _processes.Add(process);
        return process;
    }

    /// <summary>Cuts <paramref name="host"/> off the network (its link goes down; its processes keep running).</summary>
    public Task PartitionAsync(string host) => Ip("link", "set", _hosts[host].Link, "down");

    /// <summary>Reconnects a host cut off by <see cref="PartitionAsync"/>.</summary>
    public Task HealAsync(string host) => Ip("link", "set", _hosts[host].Link, "up");

    public async ValueTask DisposeAsync()
    {
        foreach (RoleProcess process in _processes)
        {
            process.Dispose();
        }

        foreach ((string ns, string link, _) in _hosts.Values)
        {
            await IpQuiet("link", "delete", link); // deleting one end of a veth pair deletes both
            await IpQuiet("netns", "delete", ns);
        }

        await IpQuiet("link", "delete", Bridge);
    }

    private static async Task Ip(params string[] args)
    {
        (int exit, string output) = await RunIp(args);
        if (exit != 0)
        {
            throw new InvalidOperationException($"ip {string.Join(' ', args)} failed ({exit}): {output}");
        }
    }

    private static async Task IpQuiet(params string[] args) => await RunIp(args);

    private static async Task<(int Exit, string Output)> RunIp(string[] args)
    {
        var info = new ProcessStartInfo("ip") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using Process process = Process.Start(info)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, (await stdout + await stderr).Trim());
    }
}
