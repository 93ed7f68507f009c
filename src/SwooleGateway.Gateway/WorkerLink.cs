using SwooleGateway.Protocol;

namespace SwooleGateway.Gateway;

/// <summary>A worker (or an API-only client) connected to this gateway's internal port.</summary>
internal sealed class WorkerLink
{
    private volatile bool _draining;

    public WorkerLink(InternalConnection connection, bool receivesEvents)
    {
        Connection = connection;
        ReceivesEvents = receivesEvents;
    }

    public InternalConnection Connection { get; }

    /// <summary>Clients written to, unflushed, by the batch of commands being executed (the link's read loop only).</summary>
    public List<Clients.ClientConnection> Unflushed { get; } = [];

    /// <summary>Batches in a row that used less than a quarter of <see cref="Unflushed"/>'s capacity (the link's read loop only).</summary>
    public int SmallBatches { get; set; }

    /// <summary>False for GatewayClient links: they send commands but get no client events.</summary>
    public bool ReceivesEvents { get; }

    /// <summary>True while the link is up and the worker has not said it is draining.</summary>
    public bool Accepting => !_draining && !Connection.Closing.IsCancellationRequested;

    public void MarkDraining() => _draining = true;

    /// <summary>Said it is draining. Its clients' new events wait until <see cref="HandedOver"/> (set when its link has closed).</summary>
    public bool IsDraining => _draining;

    /// <summary>
    /// Events of this worker's clients that arrived while it was draining, held until it has finished (its link
    /// closed) so that the next worker answers them only after it: guarded by the gateway's hold lock.
    /// </summary>
    public Queue<(Clients.ClientConnection Connection, byte[] Frame)>? HeldForHandover { get; set; }

    /// <summary>True once the held events were passed on; written under the gateway's hold lock.</summary>
    public bool HandedOver
    {
        get => Volatile.Read(ref _handedOver);
        set => Volatile.Write(ref _handedOver, value);
    }

    private bool _handedOver;
}
