using System.Buffers;
using SwooleGateway.Gateway.Clients;
using SwooleGateway.Protocol;

namespace SwooleGateway.Gateway.Commands;

/// <summary>
/// One message to many clients of this gateway: the same bytes to each, nothing allocated per client, each client once
/// even when it is a member of several of the targeted groups or uids, excluded connections skipped.
/// </summary>
internal ref struct FanOut
{
    private readonly ClientSender _sender;
    private readonly SendBatch _batch;
    private readonly ReadOnlySequence<byte> _payload;
    private readonly bool _text;
    private readonly ulong[]? _exclude;
    private readonly int _excludeCount;
    private HashSet<ulong>? _delivered;

    public FanOut(ClientSender sender, SendBatch batch, in ReadOnlySequence<byte> payload, SendFlags flags, in ULongList exclude, bool several)
    {
        _sender = sender;
        _batch = batch;
        _payload = payload;
        _text = IsText(flags, payload);
        _excludeCount = exclude.Count;
        if (_excludeCount > 0)
        {
            _exclude = ArrayPool<ulong>.Shared.Rent(_excludeCount);
            int i = 0;
            foreach (ulong id in exclude)
            {
                _exclude[i++] = id;
            }
        }

        _delivered = several ? [] : null; // several groups or uids: each member once
    }

    /// <summary>How a message is framed for WebSocket clients: as asked, or text when the bytes are UTF-8.</summary>
    public static bool IsText(SendFlags flags, in ReadOnlySequence<byte> payload) => flags switch
    {
        SendFlags.Text => true,
        SendFlags.Binary => false,
        _ => Utf8Validation.IsValid(payload),
    };

    /// <summary>Sends to one member (a <see cref="ForEachAction{TState}"/>).</summary>
    public static void Send(ClientConnection connection, ref FanOut state)
    {
        if (state._exclude is not null && Array.IndexOf(state._exclude, connection.Id, 0, state._excludeCount) >= 0)
        {
            return;
        }

        if (state._delivered is null || state._delivered.Add(connection.Id))
        {
            state._sender.Send(connection, state._payload, state._text, state._batch);
        }
    }

    public void Dispose()
    {
        if (_exclude is not null)
        {
            ArrayPool<ulong>.Shared.Return(_exclude);
        }
    }
}
