using System.Buffers;

namespace SwooleGateway.Transport;

/// <summary>
/// The arrays client connections read into and write from, and the copies of client events a gateway keeps until a
/// worker acknowledges them. <see cref="ArrayPool{T}.Shared"/> keeps only a few dozen arrays per size per core, which is
/// right for code that rents and returns at once but not for a fan-out (a batch of broadcasts holds one buffer per
/// receiving client until the batch is flushed) nor for events in flight (thousands at a time): both would allocate
/// every time. This pool keeps up to a fixed number of arrays per size class (about 16 MiB per class at most, kept after
/// the largest burst seen), grows its free lists only as they are used, and sends sizes above its largest class to the
/// shared pool.
/// </summary>
internal static class BufferPool
{
    /// <summary>The size classes; a request gets the smallest class that fits.</summary>
    private static readonly int[] s_sizes = [256, 512, 4096, 32768];

    /// <summary>How many free arrays each class keeps (16 MiB, 16 MiB, 16 MiB and 8 MiB).</summary>
    private static readonly int[] s_capacity = [65536, 32768, 4096, 256];

    private static readonly Stack<byte[]>[] s_free = [new(), new(), new(), new()];

    public static byte[] Rent(int minimumLength)
    {
        int c = ClassOf(minimumLength);
        if (c < 0)
        {
            return ArrayPool<byte>.Shared.Rent(minimumLength);
        }

        Stack<byte[]> free = s_free[c];
        lock (free)
        {
            if (free.TryPop(out byte[]? array))
            {
                return array;
            }
        }

        return GC.AllocateUninitializedArray<byte>(s_sizes[c]);
    }

    public static void Return(byte[] array)
    {
        int c = Array.IndexOf(s_sizes, array.Length);
        if (c < 0)
        {
            ArrayPool<byte>.Shared.Return(array); // a larger array came from there; any other length is the shared pool's too
            return;
        }

        Stack<byte[]> free = s_free[c];
        lock (free)
        {
            if (free.Count < s_capacity[c])
            {
                free.Push(array);
            }
        }
    }

    private static int ClassOf(int length)
    {
        for (int i = 0; i < s_sizes.Length; i++)
        {
            if (length <= s_sizes[i])
            {
                return i;
            }
        }

        return -1;
    }
}
