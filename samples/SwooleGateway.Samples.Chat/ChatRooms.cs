namespace ChatSample;

/// <summary>
/// What the worker keeps: the last 50 messages of each room, sent to whoever joins. In memory, per worker: with several
/// workers, route by room (<c>SwooleGateway:Gateway:Routing:Strategy=ConsistentHash</c>, <c>Key=group:room:</c>) so a
/// room's members all reach the worker that has its history.
/// </summary>
public sealed class ChatRooms
{
    public const int HistorySize = 50;

    private readonly Dictionary<string, Queue<ChatLine>> _history = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public void Add(string room, ChatLine line)
    {
        lock (_gate)
        {
            if (!_history.TryGetValue(room, out Queue<ChatLine>? lines))
            {
                _history[room] = lines = new Queue<ChatLine>();
            }

            lines.Enqueue(line);
            while (lines.Count > HistorySize)
            {
                lines.Dequeue();
            }
        }
    }

    public ChatLine[] History(string room)
    {
        lock (_gate)
        {
            return _history.TryGetValue(room, out Queue<ChatLine>? lines) ? [.. lines] : [];
        }
    }
}

/// <summary>One line of a room: a message or a notice (From is null).</summary>
public sealed record ChatLine(string? From, string Text, long At);
