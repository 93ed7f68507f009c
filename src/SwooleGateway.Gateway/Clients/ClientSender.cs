using System.Buffers;
using Microsoft.Extensions.Logging;
using SwooleGateway.Transport;

namespace SwooleGateway.Gateway.Clients;

/// <summary>
/// Messages to clients: frames them for the client's listener and queues them on its writer, with the slow-client
/// policy when its queue is full. Never waits for a client: a full queue closes or drops for that client only.
/// </summary>
internal sealed partial class ClientSender(GatewayMetrics metrics, ILogger logger)
{
    /// <summary>
    /// Hot path: queue one message to one client. Within a <paramref name="batch"/> of commands the bytes wait in the
    /// client's buffer until the batch ends (<see cref="SendBatch.Flush"/>), so the several messages a batch has for one
    /// client leave in one syscall.
    /// </summary>
    public void Send(ClientConnection connection, in ReadOnlySequence<byte> payload, bool text, SendBatch? batch = null)
    {
        WriteResult result = connection.Listener.Send(connection, payload, text, defer: batch is not null);
        switch (result)
        {
            case WriteResult.Written or WriteResult.Queued or WriteResult.Deferred:
                if (result == WriteResult.Deferred)
                {
                    batch!.Owe(connection);
                }

                metrics.MessagesOut.Add(1);
                Interlocked.Increment(ref connection.MessagesOut);
                Interlocked.Add(ref connection.BytesOut, payload.Length);
                return;
            case WriteResult.Dropped or WriteResult.QueuedAfterDroppingOldest:
                metrics.SlowClientDrops.Add(1);
                Interlocked.Increment(ref metrics.SlowClientsTotal);
                if (connection.Writer.TryBeginOverflowEpisode())
                {
                    Log.SlowClientDropping(logger, connection.ClientId, connection.Remote?.ToString() ?? "?", connection.Writer.MaxBacklogBytes, connection.Writer.Policy);
                }

                return;
            case WriteResult.Overflow:
                metrics.SlowClientsClosed.Add(1);
                Interlocked.Increment(ref metrics.SlowClientsTotal);
                Log.SlowClient(logger, connection.ClientId, connection.Remote?.ToString() ?? "?", connection.Writer.MaxBacklogBytes);
                connection.RequestClose(force: true, "slow consumer: outbound queue full");
                return;
            case WriteResult.Rejected:
                metrics.MessagesRejected.Add(1);
                if (connection.Writer.TryBeginOverflowEpisode())
                {
                    Log.MessageRejected(logger, payload.Length, connection.ClientId, connection.Listener.Name);
                }

                return;
            default:
                return; // closing: the message has nowhere to go
        }
    }

    /// <summary>The writer's overflow policy for a configured slow-client policy.</summary>
    public static OverflowPolicy PolicyOf(SlowClientPolicy policy) => policy switch
    {
        SlowClientPolicy.DropNewest => OverflowPolicy.DropNewest,
        SlowClientPolicy.DropOldest => OverflowPolicy.DropOldest,
        _ => OverflowPolicy.Fail,
    };

    private static partial class Log
    {
        [LoggerMessage(3009, LogLevel.Warning, "Closing slow client {ClientId} from {Remote}: more than {Limit} bytes queued (MaxPendingBytesPerClient)", EventName = "SlowClientClosed")]
        public static partial void SlowClient(ILogger logger, string clientId, string remote, long limit);

        [LoggerMessage(3014, LogLevel.Warning, "Slow client {ClientId} from {Remote}: outbound queue full ({Limit} bytes), dropping messages ({Policy}) until it catches up", EventName = "SlowClientDropping")]
        public static partial void SlowClientDropping(ILogger logger, string clientId, string remote, long limit, SwooleGateway.Transport.OverflowPolicy policy);

        [LoggerMessage(3018, LogLevel.Warning, "A message of {Bytes} bytes to client {ClientId} was skipped: the framing of listener {Listener} cannot carry it (its length prefix is too short); further skips for this client are counted in swoolegateway.gateway.messages_rejected, logged at most every 10 s", EventName = "MessageRejected")]
        public static partial void MessageRejected(ILogger logger, long bytes, string clientId, string listener);
    }
}
