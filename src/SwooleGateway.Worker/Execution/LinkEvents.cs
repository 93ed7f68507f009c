using System.Buffers;
using System.Net;
using MessagePack;
using SwooleGateway.Protocol;
using SwooleGateway.Protocol.Messages;

namespace SwooleGateway.Worker.Execution;

/// <summary>
/// The client events of one gateway link, as its read loop sees them: parses each event frame, keeps each client's
/// session cache, appends the event to its client's queue (<see cref="ClientState"/>), and gathers the clients a read
/// woke up into one <see cref="Batch"/> that the <see cref="HandlerScheduler"/> runs when the read ends. Read loop only;
/// <see cref="Abandon"/> runs after the loop has ended.
/// </summary>
internal sealed class LinkEvents(IPEndPoint gateway, Acknowledger acks, HandlerScheduler scheduler)
{
    private static readonly MessagePackSerializerOptions s_sessionOptions =
        MessagePackSerializerOptions.Standard.WithSecurity(MessagePackSecurity.UntrustedData);

    private readonly Dictionary<ulong, ClientState> _clients = [];
    private Batch? _batch; // the clients this read woke up
    private Batch? _ready; // a read's batch waiting for the loop to go idle: interlocked (OnIdle may run beside the next read)

    /// <summary>Events received on this link (read loop writes; others read).</summary>
    public long Received;

    /// <summary>Clients of this link the worker knows (connected, not closed).</summary>
    public int ClientCount => _clients.Count;

    public void OnEvent(ref FieldReader frame)
    {
        Volatile.Write(ref Received, Received + 1);
        EventItem item = EventItem.Rent();
        item.Kind = frame.Kind;
        ClientState client;
        switch (frame.Kind)
        {
            case MessageKind.ClientConnect:
            {
                ClientConnectFrame e = Frame.Read<ClientConnectFrame>(ref frame);
                client = Client(e.Header.ConnectionId);
                UpdateSession(client, e.SessionVersion, e.Session);
                Fill(item, e.Header);
                item.Connect = new ConnectInfo
                {
                    RemoteAddress = e.RemoteAddress, RemotePort = (int)e.RemotePort, Listener = e.Listener, Transport = e.Transport, Path = e.Path,
                    Headers = e.Headers!, Query = e.Query!, SubProtocol = e.SubProtocol, Uid = e.Uid, Session = client.Session,
                    Redelivered = (e.Header.Flags & EventFlags.Redelivered) != 0,
                };
                break;
            }

            case MessageKind.ClientMessage:
            {
                ClientMessageFrame e = Frame.Read<ClientMessageFrame>(ref frame);
                client = Client(e.Header.ConnectionId);
                if (e.Session is { } session)
                {
                    UpdateSession(client, e.SessionVersion, session);
                }

                Fill(item, e.Header);
                item.Session = client.Session;
                item.Number = e.Number;
                int length = (int)e.Payload.Length;
                e.Payload.CopyTo(item.PayloadFor(length));
                item.Length = length;
                break;
            }

            default:
            {
                ClientCloseFrame e = Frame.Read<ClientCloseFrame>(ref frame);
                client = Client(e.Header.ConnectionId);
                if (_clients.Remove(e.Header.ConnectionId)) // its state lives on until its queue has run
                {
                    Interlocked.Increment(ref scheduler.Metrics.ClientChurn);
                }

                Fill(item, e.Header);
                item.Close = new CloseInfo
                {
                    Session = DecodeSession(e.Session), Uid = e.Uid, Groups = e.Groups.ToArray(),
                    Redelivered = (e.Header.Flags & EventFlags.Redelivered) != 0,
                };
                break;
            }
        }

        scheduler.Enqueue(client, item, ref _batch);
    }

    /// <summary>
    /// The read's frames are all parsed: its batch is ready, and runs as soon as the loop waits for its next read
    /// (<see cref="OnIdle"/>). A batch still ready from the read before (that read's data was followed at once by more,
    /// so the loop never waited) goes to the thread pool instead: handlers never wait for the read loop.
    /// </summary>
    public void EndOfRead()
    {
        if (_batch is { IsEmpty: false } batch)
        {
            _batch = null;
            if (Interlocked.Exchange(ref _ready, batch) is { } older)
            {
                scheduler.Run(older);
            }
        }
    }

    /// <summary>
    /// The read loop waits for data (its next read is registered and continues on another thread): the thread that read
    /// the ready batch runs it now, before it goes back to the pool, which saves a thread-pool request per read.
    /// </summary>
    public void OnIdle()
    {
        if (Interlocked.Exchange(ref _ready, null) is { } batch)
        {
            batch.Execute();
        }
    }

    /// <summary>
    /// The link closed: every client of it forgets its queued events (the gateway has not heard they were handled, so it
    /// sends them to the worker that takes each client over; each client's turn drops them) and the states go. Handlers
    /// that are running finish.
    /// </summary>
    public void Abandon()
    {
        if (Interlocked.Exchange(ref _ready, null) is { } ready)
        {
            scheduler.Run(ready); // its clients' turns find their queues dropped below, or run what they already took
        }

        acks.Close();
        foreach (ClientState client in _clients.Values)
        {
            client.Abandon(); // its turn drops what it has not started (counted in EventsAbandoned)
        }

        Interlocked.Add(ref scheduler.Metrics.ClientChurn, _clients.Count);
        _clients.Clear();
    }

    private void Fill(EventItem item, EventHeader header)
    {
        item.Sequence = header.Sequence;
        item.Flags = header.Flags;
        if ((header.Flags & EventFlags.Redelivered) != 0)
        {
            scheduler.Metrics.EventsRedelivered.Add(1);
            Interlocked.Increment(ref scheduler.Metrics.RedeliveredTotal);
        }
    }

    private ClientState Client(ulong connectionId)
    {
        if (!_clients.TryGetValue(connectionId, out ClientState? client))
        {
            client = new ClientState(ClientId.Encode(gateway, connectionId), acks, scheduler);
            _clients[connectionId] = client;
            Interlocked.Increment(ref scheduler.Metrics.ClientChurn);
        }

        return client;
    }

    private static void UpdateSession(ClientState client, uint version, in ReadOnlySequence<byte> session)
    {
        client.Session = DecodeSession(session);
        client.SessionVersion = version;
    }

    private static IReadOnlyDictionary<string, object?>? DecodeSession(in ReadOnlySequence<byte> bytes) =>
        bytes.IsEmpty ? null : MessagePackSerializer.Deserialize<Dictionary<string, object?>>(bytes, s_sessionOptions);
}
