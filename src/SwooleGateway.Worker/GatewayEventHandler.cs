namespace SwooleGateway.Worker;

/// <summary>
/// The application's event handler: subclass it and register it with
/// <c>services.AddSwooleGatewayWorker&lt;MyHandler&gt;()</c>. Events of one client are delivered in order,
/// one at a time; different clients run concurrently (up to <see cref="WorkerOptions.MaxConcurrentHandlers"/>), on the
/// thread pool, never on a network loop: a handler that blocks holds up its own client only. Delivery is at least once:
/// an event whose worker went away before its handler completed is delivered again, flagged as redelivered. Inside a
/// handler, <see cref="Gateway"/> is the Gateway API of this worker (outside, use the static
/// <see cref="SwooleGateway.Worker.Gateway"/>).
/// </summary>
public abstract class GatewayEventHandler
{
    /// <summary>The Gateway API of the worker running this handler.</summary>
    public GatewayApi Gateway { get; internal set; } = null!;

    /// <summary>Called once when the worker starts, before any event.</summary>
    public virtual ValueTask OnWorkerStart(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    /// <summary>A client connected (for WebSocket: after the upgrade).</summary>
    public virtual ValueTask OnConnect(string clientId, ConnectInfo info) => ValueTask.CompletedTask;

    /// <summary>
    /// A client sent a message. <paramref name="session"/> is the client's current session (null when none).
    /// <paramref name="payload"/> is valid until the returned task completes; copy it to keep it longer.
    /// </summary>
    public virtual ValueTask OnMessage(string clientId, IReadOnlyDictionary<string, object?>? session, ReadOnlyMemory<byte> payload) => ValueTask.CompletedTask;

    /// <summary>
    /// A client sent a message, with what is known about its delivery (<see cref="EventContext.Redelivered"/>, text or
    /// binary). The worker calls this one; by default it calls the overload without <paramref name="context"/>.
    /// </summary>
    public virtual ValueTask OnMessage(string clientId, IReadOnlyDictionary<string, object?>? session, ReadOnlyMemory<byte> payload, EventContext context) =>
        OnMessage(clientId, session, payload);

    /// <summary>A client closed; <paramref name="info"/> carries the session, uid and groups it had.</summary>
    public virtual ValueTask OnClose(string clientId, CloseInfo info) => ValueTask.CompletedTask;

    /// <summary>Called once when the worker stops, after the last event.</summary>
    public virtual ValueTask OnWorkerStop(CancellationToken cancellationToken) => ValueTask.CompletedTask;
}
