using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;

namespace SwooleGateway.Tests.Infrastructure;

/// <summary>A role running as its own OS process (the built executable, started with <c>dotnet X.dll</c>), with its output captured.</summary>
public sealed partial class RoleProcess : IDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();

    private string _assembly = "";

    private RoleProcess(Process process) => _process = process;

    /// <summary>What was started and its process id, for reports.</summary>
    public string Name { get; private set; } = "";

    public bool HasExited => _process.HasExited;

    public int Pid { get; private set; }

    public string Output => string.Join('\n', _output);

    /// <summary>Starts <paramref name="assembly"/> (a dll next to the test assembly) with <paramref name="args"/>.</summary>
    public static RoleProcess Start(string assembly, params string[] args) => Start(assembly, fileLimit: null, args);

    /// <summary>As <see cref="Start(string, string[])"/>, with at most <paramref name="fileLimit"/> open file descriptors (<c>ulimit -n</c>) when given.</summary>
    public static RoleProcess Start(string assembly, int? fileLimit, params string[] args) => Start(assembly, fileLimit, workingDirectory: null, args);

    /// <summary>As <see cref="Start(string, int?, string[])"/>, run in <paramref name="workingDirectory"/> (where it looks for an appsettings.json of the operator's).</summary>
    public static RoleProcess Start(string assembly, int? fileLimit, string? workingDirectory, params string[] args)
    {
        string path = Path.Combine(AppContext.BaseDirectory, assembly + ".dll");
        var info = new ProcessStartInfo(fileLimit is null ? "dotnet" : "bash")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? AppContext.BaseDirectory,
        };
        if (fileLimit is { } limit)
        {
            info.ArgumentList.Add("-c");
            info.ArgumentList.Add($"ulimit -n {limit} && exec dotnet \"$0\" \"$@\"");
        }

        info.ArgumentList.Add(path);
        foreach (string arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        return Launch(info, assembly);
    }

    /// <summary>Starts the program <paramref name="file"/> (an installed tool, <c>dotnet</c> itself) in <paramref name="workingDirectory"/>.</summary>
    public static RoleProcess StartFile(string file, string workingDirectory, params string[] args)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        foreach (string arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        return Launch(info, Path.GetFileName(file) + " " + string.Join(' ', args.Take(2)));
    }

    private static RoleProcess Launch(ProcessStartInfo info, string assembly)
    {
        info.Environment["DOTNET_ENVIRONMENT"] = "Production";
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";
        info.Environment["Logging__Console__FormatterName"] = "simple";
        info.Environment["Logging__Console__FormatterOptions__SingleLine"] = "true";
        info.Environment["Logging__Console__FormatterOptions__TimestampFormat"] = "HH:mm:ss.fff ";
        var process = new Process { StartInfo = info };
        var role = new RoleProcess(process);
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) role._output.Enqueue(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) role._output.Enqueue("stderr: " + e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        role.Pid = process.Id;
        role.Name = $"{assembly} (pid {process.Id})";
        role._assembly = assembly;
        return role;
    }

    public Task WaitForOutput(string fragment, TimeSpan? timeout = null) =>
        TimeoutExtensions.WaitUntil(() => _output.Any(l => l.Contains(fragment, StringComparison.Ordinal)) || _process.HasExited,
            $"'{fragment}' in the output of {_assembly}", timeout ?? TimeSpan.FromSeconds(30))
        .ContinueWith(t =>
        {
            t.GetAwaiter().GetResult();
            if (!_output.Any(l => l.Contains(fragment, StringComparison.Ordinal)))
            {
                Assert.Fail($"process exited before printing '{fragment}':\n{Output}");
            }
        }, TaskScheduler.Default);

    /// <summary>Finds an endpoint printed after <paramref name="prefix"/> (for example "Register listening on ").</summary>
    public async Task<IPEndPoint> WaitForEndPoint(string prefix)
    {
        await WaitForOutput(prefix);
        foreach (string line in _output)
        {
            int at = line.IndexOf(prefix, StringComparison.Ordinal);
            if (at >= 0)
            {
                Match m = EndPointPattern().Match(line, at + prefix.Length);
                if (m.Success)
                {
                    return IPEndPoint.Parse(m.Value);
                }
            }
        }

        throw new InvalidOperationException($"no endpoint after '{prefix}' in:\n{Output}");
    }

    /// <summary>
    /// kill -9: SIGKILL to this process now, with no search for child processes first (that search reads every process
    /// of the machine and would stall the test's own load for a moment, letting the victim finish its work before it dies).
    /// </summary>
    public async Task CrashAsync()
    {
        _process.Kill(entireProcessTree: false);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await _process.WaitForExitAsync(timeout.Token);
    }

    /// <summary>Waits for the process to end by itself (a command that runs and exits) and returns its exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    /// <summary>SIGTERM (what systemd, Docker and Kubernetes send to stop a process), then waits for the exit; returns the exit code.</summary>
    public async Task<int> TerminateAsync(TimeSpan timeout)
    {
        using (var kill = Process.Start("kill", ["-TERM", Pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }

    [GeneratedRegex(@"\d+\.\d+\.\d+\.\d+:\d+")]
    private static partial Regex EndPointPattern();
}
