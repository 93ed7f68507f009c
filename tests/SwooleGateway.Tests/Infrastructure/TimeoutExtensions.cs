namespace SwooleGateway.Tests.Infrastructure;

/// <summary>Every await in a test is bounded.</summary>
public static class TimeoutExtensions
{
    public static readonly TimeSpan Default = TimeSpan.FromSeconds(10);

    public static Task DefaultTimeout(this Task task) => task.WaitAsync(Default);

    public static Task<T> DefaultTimeout<T>(this Task<T> task) => task.WaitAsync(Default);

    public static Task<T> DefaultTimeout<T>(this ValueTask<T> task) => task.AsTask().WaitAsync(Default);

    public static Task DefaultTimeout(this ValueTask task) => task.AsTask().WaitAsync(Default);

    /// <summary>Polls <paramref name="condition"/> until it holds or the timeout passes (then fails with <paramref name="what"/>).</summary>
    public static async Task WaitUntil(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? Default);
        while (!condition())
        {
            try
            {
                await Task.Delay(20, cts.Token);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"Timed out waiting for: {what}");
            }
        }
    }

    /// <summary>Polls an asynchronous condition (exceptions count as "not yet") until it holds or the timeout passes.</summary>
    public static async Task WaitUntilAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? Default);
        while (true)
        {
            try
            {
                if (await condition().WaitAsync(cts.Token))
                {
                    return;
                }
            }
            catch (Exception) when (!cts.IsCancellationRequested)
            {
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"Timed out waiting for: {what}");
            }

            try
            {
                await Task.Delay(50, cts.Token);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"Timed out waiting for: {what}");
            }
        }
    }
}
