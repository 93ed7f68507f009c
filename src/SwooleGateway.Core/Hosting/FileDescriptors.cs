using System.Runtime.InteropServices;

namespace SwooleGateway.Hosting;

/// <summary>
/// The process's file descriptor budget (Linux): its soft limit (<c>ulimit -n</c>, systemd's <c>LimitNOFILE=</c>) and
/// how many are open now. Every client connection costs one; a gateway that lets its clients take the last ones cannot
/// accept its workers' links, and with W^X (.NET's default) cannot even compile a method: the runtime then ends the
/// process with "Out of memory.". So the gateway caps its clients below the limit (<see cref="ClientBudget"/>).
/// </summary>
internal static class FileDescriptors
{
    private const int RlimitNoFile = 7; // Linux

    /// <summary>The soft limit and the descriptors open now; null where it cannot be read (not Linux).</summary>
    public static (long Limit, int Open)? Read()
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        try
        {
            if (GetRLimit(RlimitNoFile, out RLimit limit) != 0 || limit.Current > int.MaxValue)
            {
                return null;
            }

            return ((long)limit.Current, Directory.GetFiles("/proc/self/fd").Length);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
    }

    /// <summary>
    /// How many client connections fit: the limit, less what is open now, less a reserve for workers' and registers'
    /// links, listeners and the runtime (256, or 2 % of the limit when that is more: the runtime keeps two descriptors
    /// open per assembly it loads, and loads some only when the first client needs them). Null when the budget is unknown.
    /// </summary>
    public static int? ClientBudget((long Limit, int Open)? budget) =>
        budget is { } b ? (int)Math.Max(0, b.Limit - b.Open - Math.Max(256, b.Limit / 50)) : null;

    [StructLayout(LayoutKind.Sequential)]
    private struct RLimit
    {
        public ulong Current;
        public ulong Maximum;
    }

    [DllImport("libc", EntryPoint = "getrlimit", SetLastError = true)]
    private static extern int GetRLimit(int resource, out RLimit limit);
}
