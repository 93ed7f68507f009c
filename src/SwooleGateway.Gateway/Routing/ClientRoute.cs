namespace SwooleGateway.Gateway.Routing;

/// <summary>
/// Where one client's events go: the <see cref="EventRouter"/>'s per-client state, kept inside the connection (no object
/// of its own per client). Only the router reads or writes it; which lock guards which field is stated per field.
/// </summary>
internal struct ClientRoute
{
    /// <summary>The worker this client's events go to while it accepts (read and written by the client's read loop).</summary>
    public WorkerLink? Worker;

    /// <summary>The worker that took this client over from a draining one (under the router's hold lock).</summary>
    public WorkerLink? HandoverTarget;

    /// <summary>Session version last sent to <see cref="Worker"/>; -1 = none (the client's read loop).</summary>
    public long SessionSentVersion;

    public ClientRoute()
    {
        SessionSentVersion = -1;
    }
}
