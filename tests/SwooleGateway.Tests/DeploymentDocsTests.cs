using SwooleGateway.Tests.Infrastructure;

namespace SwooleGateway.Tests;

/// <summary>
/// The systemd units that docs/deployment.md shows (deploy/systemd) pass <c>systemd-analyze verify</c>: no unknown key,
/// no bad value. They are checked in a throwaway root (the real /usr/lib/systemd units, and stand-ins for the programs
/// they start), so the machine's own systemd is never touched. Skipped where systemd-analyze is not installed.
/// </summary>
[TestFixture]
public sealed class DeploymentDocsTests
{
    [Test]
    public async Task The_documented_systemd_units_pass_systemd_analyze_verify()
    {
        const string analyze = "/usr/bin/systemd-analyze";
        if (!OperatingSystem.IsLinux() || !File.Exists(analyze) || !Directory.Exists("/usr/lib/systemd/system"))
        {
            Assert.Ignore("systemd-analyze is not installed here; the systemd units are not verified.");
            return;
        }

        string units = Path.Combine(Repository.Root, "deploy", "systemd");
        string[] files = [.. Directory.GetFiles(units, "*.service").Select(Path.GetFileName)!];
        Assert.That(files, Is.EquivalentTo(new[] { "swoolegateway-register.service", "swoolegateway-gateway.service", "swoolegateway-worker@.service" }));
        string doc = File.ReadAllText(Path.Combine(Repository.Root, "docs", "deployment.md"));
        Assert.That(files, Has.All.Matches<string>(f => doc.Contains(f, StringComparison.Ordinal)), "each unit is in docs/deployment.md");

        string root = Directory.CreateTempSubdirectory("sgw-systemd-").FullName;
        try
        {
            string system = Path.Combine(root, "etc", "systemd", "system");
            Directory.CreateDirectory(system);
            CopyDirectory("/usr/lib/systemd/system", Path.Combine(root, "usr", "lib", "systemd", "system"));
            foreach (string file in files)
            {
                File.Copy(Path.Combine(units, file), Path.Combine(system, file));
                foreach (string program in File.ReadAllLines(Path.Combine(units, file)).Where(l => l.StartsWith("ExecStart=", StringComparison.Ordinal)).Select(l => l["ExecStart=".Length..].Split(' ')[0]))
                {
                    string standIn = Path.Combine(root, program.TrimStart('/'));
                    Directory.CreateDirectory(Path.GetDirectoryName(standIn)!);
                    await File.WriteAllTextAsync(standIn, "#!/bin/sh\n");
                    File.SetUnixFileMode(standIn, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
                }
            }

            foreach (string unit in files.Select(f => f.Replace("@.service", "@1.service", StringComparison.Ordinal)))
            {
                using RoleProcess verify = RoleProcess.StartFile(analyze, system, "verify", "--man=no", $"--root={root}", unit);
                int exit = await verify.WaitForExitAsync(TimeSpan.FromSeconds(60));
                Assert.That((exit, verify.Output.Trim()), Is.EqualTo((0, "")), $"systemd-analyze verify {unit}");
            }
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (string file in Directory.GetFiles(from))
        {
            var info = new FileInfo(file);
            if (info.LinkTarget is null)
            {
                info.CopyTo(Path.Combine(to, info.Name));
            }
            else
            {
                File.CreateSymbolicLink(Path.Combine(to, info.Name), info.LinkTarget);
            }
        }

        foreach (string dir in Directory.GetDirectories(from))
        {
            CopyDirectory(dir, Path.Combine(to, Path.GetFileName(dir)));
        }
    }
}
