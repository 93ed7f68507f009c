using System.Collections.Concurrent;
using System.Text;
using SwooleGateway.Worker;

namespace SwooleGateway.Tests.Infrastructure;

/// <summary>
/// A handler whose commands exercise the execution model: <c>sleep:ms</c> blocks its thread (Thread.Sleep, as a
/// synchronous database call would), <c>awaitsleep:ms</c> awaits then blocks, <c>wait:ms</c> awaits,
/// <c>delay:ms:text</c> awaits then answers text, <c>throw</c> throws, <c>count</c> awaits a cluster query,
/// <c>echo:...</c> answers at once. It records what it saw in static tables that tests read (reset them per test).
/// </summary>
public sealed class ProbeHandler : GatewayEventHandler
{
    /// <summary>Every event handled: (worker node id, client id, payload or "open"/"close", redelivered).</summary>
    public static ConcurrentQueue<(string Worker, string ClientId, string Event, bool Redelivered)> Handled { get; } = new();

    /// <summary>Every message handled: (client id, payload, its message number, redelivered).</summary>
    public static ConcurrentQueue<(string ClientId, string Event, ulong Number, bool Redelivered)> Numbers { get; } = new();

    /// <summary>Every message handler that finished: (worker, client id, payload, redelivered).</summary>
    public static ConcurrentQueue<(string Worker, string ClientId, string Event, bool Redelivered)> Finished { get; } = new();

    /// <summary>Handlers running now, per client, and the most seen at once for one client and for all.</summary>
    public static ConcurrentDictionary<string, int> RunningPerClient { get; } = new();

    public static int MaxPerClient;
    public static int Running;
    public static int MaxRunning;

    /// <summary>Blocking handlers that have started (sleep:).</summary>
    public static int Sleeping;

    public static void Reset()
    {
        Handled.Clear();
        Numbers.Clear();
        Finished.Clear();
        RunningPerClient.Clear();
        MaxPerClient = 0;
        Running = 0;
        MaxRunning = 0;
        Sleeping = 0;
    }


    public override ValueTask OnConnect(string clientId, ConnectInfo info)
    {
        Handled.Enqueue((WorkerName, clientId, "open", info.Redelivered));
        return ValueTask.CompletedTask;
    }

    public override ValueTask OnClose(string clientId, CloseInfo info)
    {
        Handled.Enqueue((WorkerName, clientId, "close", info.Redelivered));
        return ValueTask.CompletedTask;
    }

    /// <summary>Set by tests that need to tell workers apart (the worker's node id is not visible to handlers).</summary>
    public string WorkerName { get; set; } = "";

    public override async ValueTask OnMessage(string clientId, IReadOnlyDictionary<string, object?>? session, ReadOnlyMemory<byte> payload, EventContext context)
    {
        string text = Encoding.UTF8.GetString(payload.Span);
        Handled.Enqueue((WorkerName, clientId, text, context.Redelivered));
        Numbers.Enqueue((clientId, text, context.MessageNumber, context.Redelivered));
        int mine = RunningPerClient.AddOrUpdate(clientId, 1, (_, n) => n + 1);
        int all = Interlocked.Increment(ref Running);
        InterlockedMax(ref MaxPerClient, mine);
        InterlockedMax(ref MaxRunning, all);
        try
        {
            if (text.StartsWith("sleep:", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref Sleeping);
                Thread.Sleep(int.Parse(text[6..], System.Globalization.CultureInfo.InvariantCulture));
                await Gateway.SendToClient(clientId, "slept:" + text[6..]);
            }
            else if (text.StartsWith("awaitsleep:", StringComparison.Ordinal))
            {
                await Task.Delay(1); // the rest runs on whatever thread completed the delay, outside the worker's turn
                Interlocked.Increment(ref Sleeping);
                Thread.Sleep(int.Parse(text[11..], System.Globalization.CultureInfo.InvariantCulture));
                await Gateway.SendToClient(clientId, "slept:" + text[11..]);
            }
            else if (text.StartsWith("wait:", StringComparison.Ordinal))
            {
                await Task.Delay(int.Parse(text[5..], System.Globalization.CultureInfo.InvariantCulture));
                await Gateway.SendToClient(clientId, "waited:" + text[5..]);
            }
            else if (text.StartsWith("delay:", StringComparison.Ordinal))
            {
                int colon = text.IndexOf(':', 6);
                await Task.Delay(int.Parse(text[6..colon], System.Globalization.CultureInfo.InvariantCulture));
                await Gateway.SendToClient(clientId, text[(colon + 1)..]);
            }
            else if (text == "throw")
            {
                throw new InvalidOperationException("the handler failed on purpose");
            }
            else if (text == "count")
            {
                await Gateway.SendToClient(clientId, "count:" + await Gateway.GetClientCount());
            }
            else if (text == "me")
            {
                await Gateway.SendToClient(clientId, "me:" + clientId);
            }
            else
            {
                await Gateway.SendToClient(clientId, payload);
            }
        }
        finally
        {
            Finished.Enqueue((WorkerName, clientId, text, context.Redelivered));
            Interlocked.Decrement(ref Running);
            RunningPerClient.AddOrUpdate(clientId, 0, (_, n) => n - 1);
        }
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while (value > (current = Volatile.Read(ref target)) && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }
}
