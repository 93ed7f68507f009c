namespace SwooleGateway.Gateway.Clients;

internal static class Paging
{
    /// <summary>
    /// The <paramref name="limit"/> smallest items that pass <paramref name="include"/>, ascending, and whether more
    /// passed. One pass with a bounded heap: O(n log limit), no full sort of the source.
    /// </summary>
    public static (List<T> Page, bool More) Smallest<T>(IEnumerable<T> source, Func<T, bool> include, int limit, IComparer<T> comparer)
    {
        limit = Math.Max(1, limit);
        var heap = new PriorityQueue<T, T>(Comparer<T>.Create((a, b) => comparer.Compare(b, a))); // largest on top
        bool more = false;
        foreach (T item in source)
        {
            if (!include(item))
            {
                continue;
            }

            if (heap.Count < limit)
            {
                heap.Enqueue(item, item);
            }
            else
            {
                more = true;
                if (comparer.Compare(item, heap.Peek()) < 0)
                {
                    heap.DequeueEnqueue(item, item);
                }
            }
        }

        var page = new List<T>(heap.Count);
        while (heap.TryDequeue(out T? item, out _))
        {
            page.Add(item);
        }

        page.Reverse();
        return (page, more);
    }
}
