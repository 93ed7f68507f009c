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

    /// <summary>False for GatewayClient links: they send commands but get no client events.</summary>
    public bool ReceivesEvents { get; }

    /// <summary>True while the link is up and the worker has not said it is draining.</summary>
    public bool Accepting => !_draining && !Connection.Closing.IsCancellationRequested;

    public void MarkDraining() => _draining = true;
}
