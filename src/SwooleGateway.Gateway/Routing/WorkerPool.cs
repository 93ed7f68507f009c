namespace SwooleGateway.Gateway.Routing;

/// <summary>The workers that receive events, as a copy-on-write array so routing reads take no lock.</summary>
internal sealed class WorkerPool
{
    private readonly Lock _gate = new();
    private WorkerLink[] _workers = [];
    private uint _next;

    public int Count => Volatile.Read(ref _workers).Length;

    /// <summary>The workers now (a snapshot; never modified after it is returned).</summary>
    public WorkerLink[] All => Volatile.Read(ref _workers);

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

    /// <summary>Picks an accepting worker round-robin, one whose window is not full if there is one; null when none accepts.</summary>
    public WorkerLink? Pick()
    {
        WorkerLink[] workers = Volatile.Read(ref _workers);
        WorkerLink? full = null;
        for (int attempt = 0; attempt < workers.Length; attempt++)
        {
            WorkerLink candidate = workers[(int)(Interlocked.Increment(ref _next) % (uint)workers.Length)];
            if (candidate.Accepting)
            {
                if (!candidate.IsFull)
                {
                    return candidate;
                }

                full ??= candidate;
            }
        }

        return full;
    }
}
