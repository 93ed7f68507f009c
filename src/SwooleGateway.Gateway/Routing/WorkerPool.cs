namespace SwooleGateway.Gateway.Routing;

/// <summary>The workers that receive events, as a copy-on-write array so routing reads take no lock.</summary>
internal sealed class WorkerPool
{
    private readonly Lock _gate = new();
    private WorkerLink[] _workers = [];
    private uint _next;

    public int Count => Volatile.Read(ref _workers).Length;

    public void Add(WorkerLink link)
    {
        lock (_gate)
        {
            _workers = [.. _workers, link];
        }
    }

    public void Remove(WorkerLink link)
    {
        lock (_gate)
        {
            _workers = Array.FindAll(_workers, w => w != link);
        }
    }

    /// <summary>Picks an accepting worker round-robin; null when none is available.</summary>
    public WorkerLink? Pick()
    {
        WorkerLink[] workers = Volatile.Read(ref _workers);
        for (int attempt = 0; attempt < workers.Length; attempt++)
        {
            WorkerLink candidate = workers[(int)(Interlocked.Increment(ref _next) % (uint)workers.Length)];
            if (candidate.Accepting)
            {
                return candidate;
            }
        }

        return null;
    }
}
