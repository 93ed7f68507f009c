namespace SwooleGateway.Gateway.Clients;

/// <summary>
/// The clients a batch of worker commands wrote to without flushing, so each gets its share in one syscall at the end of
/// the batch. Belongs to one link's read loop (its frame handler owns it); nothing else can reach it.
/// </summary>
internal sealed class SendBatch
{
    private readonly List<ClientConnection> _unflushed = [];
    private int _smallBatches;

    /// <summary>A write to <paramref name="connection"/> was deferred: this batch owes it a flush.</summary>
    public void Owe(ClientConnection connection) => _unflushed.Add(connection);

    /// <summary>The end of the batch: send what it left in its clients' buffers.</summary>
    public void Flush()
    {
        int count = _unflushed.Count;
        for (int i = 0; i < count; i++)
        {
            _unflushed[i].Writer.Flush();
        }

        _unflushed.Clear();

        // A list grown by a huge fan-out is kept while such batches keep coming, and trimmed after 1,024 batches in a
        // row that needed less than a quarter of it: a rare one does not pin its memory for ever, a regular one does
        // not reallocate it every time.
        if (_unflushed.Capacity <= 4096 || count >= _unflushed.Capacity / 4)
        {
            _smallBatches = 0;
        }
        else if (++_smallBatches > 1024)
        {
            _unflushed.Capacity = 4096;
            _smallBatches = 0;
        }
    }
}
