using SwooleGateway.Gateway.Clients;
using SwooleGateway.Protocol;
using SwooleGateway.Protocol.Messages;

namespace SwooleGateway.Gateway.Routing;

/// <summary>A worker (or an API-only client) connected to this gateway's internal port, as the router sees it.</summary>
internal sealed class WorkerLink
{
    private volatile bool _draining;
    private bool _handedOver;

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

    /// <summary>Said it is draining. Its clients' new events wait until <see cref="HandedOver"/> (set when its link has closed).</summary>
    public bool IsDraining => _draining;

    /// <summary>
    /// Events of this worker's clients that arrived while it was draining, held until it has finished (its link
    /// closed) so that the next worker answers them only after it: the router's, under its hold lock.
    /// </summary>
    public Queue<(ClientConnection Connection, byte[] Frame)>? HeldForHandover { get; set; }

    /// <summary>True once the held events were passed on; written under the router's hold lock.</summary>
    public bool HandedOver
    {
        get => Volatile.Read(ref _handedOver);
        set => Volatile.Write(ref _handedOver, value);
    }

    /// <summary>
    /// The worker asked for no new events: answers <see cref="DrainAckFrame"/>, which follows every event already routed
    /// to it on the FIFO link.
    /// </summary>
    public void MarkDraining()
    {
        _draining = true;
        Connection.TrySend(new DrainAckFrame());
    }

    /// <summary>Sends one event frame to the worker (false when the link is closed or backlogged).</summary>
    public bool TrySendEvent(ReadOnlySpan<byte> frame) => Connection.TrySend(frame);
}
