using System.Diagnostics;

namespace SwooleGateway.Tests.Infrastructure;

/// <summary>
/// Debian's Chromium, headless, on a page: <see cref="Start"/> leaves it running (the page reports back by itself);
/// <see cref="DumpDomAsync"/> lets the page's scripts run for a while and returns the DOM they produced. Tests call
/// <see cref="SkipUnlessInstalled"/> first: .ci/run installs chromium; where it cannot, the test is skipped.
/// </summary>
public sealed class HeadlessChromium : IAsyncDisposable
{
    public const string Path = "/usr/bin/chromium";

    private readonly Process _process;
    private readonly string _profile;
    private readonly System.Text.StringBuilder _stdout = new();
    private readonly System.Text.StringBuilder _stderr = new();

    /// <summary>What the browser wrote to stderr so far (DevTools announces its address there).</summary>
    public string Stderr
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    private HeadlessChromium(Process process, string profile)
    {
        _process = process;
        _profile = profile;
    }

    public static void SkipUnlessInstalled()
    {
        if (!File.Exists(Path))
        {
            Assert.Ignore("Chromium is not installed (Debian package 'chromium'); .ci/run installs it. Skipping the browser test.");
        }
    }

    public static HeadlessChromium Start(string url, params string[] extra)
    {
        string profile = Directory.CreateTempSubdirectory("swoolegateway-chromium-").FullName;
        var info = new ProcessStartInfo(Path) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string arg in (string[])[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage", $"--user-data-dir={profile}", .. extra, url])
        {
            info.ArgumentList.Add(arg);
        }

        var process = Process.Start(info)!;
        var browser = new HeadlessChromium(process, profile);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (browser._stdout)
                {
                    browser._stdout.Append(e.Data).Append('\n');
                }
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (browser._stderr)
                {
                    browser._stderr.Append(e.Data).Append('\n');
                }
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return browser;
    }

    /// <summary>Loads <paramref name="url"/>, lets its scripts run for <paramref name="budget"/> of virtual time, and returns the resulting DOM.</summary>
    public static async Task<string> DumpDomAsync(string url, TimeSpan budget, TimeSpan timeout)
    {
        await using HeadlessChromium browser = Start(url, "--dump-dom", $"--virtual-time-budget={(int)budget.TotalMilliseconds}");
        using var cts = new CancellationTokenSource(timeout);
        await browser._process.WaitForExitAsync(cts.Token);
        lock (browser._stdout)
        {
            return browser._stdout.ToString();
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }
        finally
        {
            _process.Dispose();
            try
            {
                Directory.Delete(_profile, recursive: true);
            }
            catch (IOException)
            {
                // chromium may still hold files for a moment; the temp folder is cleaned by the OS
            }
        }
    }
}
