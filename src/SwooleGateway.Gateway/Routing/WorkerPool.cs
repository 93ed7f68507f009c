namespace SwooleGateway.Gateway.Routing;

/// <summary>The workers that receive events, as a copy-on-write array so routing reads take no lock.</summary>
internal sealed class WorkerPool
{
    private readonly Lock _gate = new();
    private WorkerLink[] _workers = [];
    private int _version;

    public int Count => Volatile.Read(ref _workers).Length;

    /// <summary>The workers now (a snapshot; never modified after it is returned).</summary>
    public WorkerLink[] All => Volatile.Read(ref _workers);

    /// <summary>Changes whenever a worker joins, leaves or stops taking events (after <see cref="All"/> shows it).</summary>
    public int Version => Volatile.Read(ref _version);

    public void Add(WorkerLink link)
    {
        lock (_gate)
        {
            _workers = [.. _workers, link];
        }

        Changed();
    }

    public void Remove(WorkerLink link)
    {
        lock (_gate)
        {
            _workers = Array.FindAll(_workers, w => w != link);
        }

        Changed();
    }

    /// <summary>A worker stopped taking events (draining, or its link is closing).</summary>
    public void Changed() => Interlocked.Increment(ref _version);
}
