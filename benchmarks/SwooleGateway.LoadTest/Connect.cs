namespace SwooleGateway.LoadTest;

internal static class Connect
{
    /// <summary>Opens <paramref name="count"/> connections, 64 at a time.</summary>
    public static async Task<LoadConnection[]> AllAsync(LoadOptions options, int count, CancellationToken cancellationToken)
    {
        var connections = new LoadConnection[count];
        using var gate = new SemaphoreSlim(64);
        await Task.WhenAll(Enumerable.Range(0, count).Select(async i =>
        {
            await gate.WaitAsync(cancellationToken);
            try
            {
                connections[i] = await LoadConnection.ConnectAsync(options, cancellationToken);
            }
            finally
            {
                gate.Release();
            }
        }));
        return connections;
    }

    public static async Task DisposeAllAsync(IEnumerable<LoadConnection> connections)
    {
        foreach (LoadConnection c in connections)
        {
            await c.DisposeAsync();
        }
    }
}
