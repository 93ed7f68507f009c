namespace SwooleGateway.Protocol;

/// <summary>The first item of every internal frame body. Values are wire format: never renumber.</summary>
internal enum MessageKind : uint
{
    // Handshake and liveness (every link).
    Hello = 1,
    Auth = 2,
    Welcome = 3,
    Reject = 4,
    Ping = 5,
    Pong = 6,

    // Register links.
    Announce = 16,
    Subscribe = 17,
    GatewayList = 18,
    StatusReport = 19,     // gateway/worker -> register: what it is and how it is doing, every StatusInterval

    // Gateway -> worker events.
    ClientConnect = 32,
    ClientMessage = 33,
    ClientClose = 34,

    // Control.
    WorkerDraining = 40,   // worker -> gateway: send me no new events
    GatewayLeaving = 41,   // gateway -> worker/client: shutting down on purpose (not a crash)
    DrainAck = 42,         // gateway -> worker: no event will be routed to you after this frame
    EventAck = 43,         // worker -> gateway: the handlers of these events have completed

    // Worker -> gateway commands and their replies.
    Command = 48,
    Reply = 49,
}
