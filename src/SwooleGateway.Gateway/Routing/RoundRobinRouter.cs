namespace SwooleGateway.Gateway.Routing;

/// <summary>The default: each new client goes to the next worker, one that is not behind or silent if there is one; it stays there.</summary>
internal sealed class RoundRobinRouter : IEventRouter
{
    private uint _next;

    public RoutingInputs Inputs => RoutingInputs.None;

    public RoutingWorker? Choose(RoutingClient client, IReadOnlyList<RoutingWorker> workers) => Next(workers);

    /// <summary>The next worker round-robin, preferring one that is not busy (window full, or silent).</summary>
    public RoutingWorker? Next(IReadOnlyList<RoutingWorker> workers)
    {
        RoutingWorker? busy = null;
        for (int attempt = 0; attempt < workers.Count; attempt++)
        {
            RoutingWorker candidate = workers[(int)(Interlocked.Increment(ref _next) % (uint)workers.Count)];
            if (!candidate.IsBusy)
            {
                return candidate;
            }

            busy ??= candidate;
        }

        return busy;
    }
}
