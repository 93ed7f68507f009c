using Microsoft.Extensions.Logging;
using SwooleGateway.Gateway.Clients;
using SwooleGateway.Gateway.Routing;
using SwooleGateway.Protocol;

namespace SwooleGateway.Gateway.Commands;

/// <summary>
/// Executes the Command frames workers send: reads the op, hands the frame to that op's <see cref="ICommandHandler{TCommand, TResult}"/>
/// and writes the Reply (only when the caller asked for one: request id ≠ 0). The handlers are found when the gateway
/// starts, one per command type; an op this gateway does not know is refused with <see cref="ReplyStatus.UnknownOp"/>.
/// </summary>
internal sealed partial class CommandExecutor
{
    private readonly CommandEntry?[] _byOp;
    private readonly ILogger _logger;

    public CommandExecutor(CommandServices services)
    {
        _logger = services.Logger;
        var entries = new List<CommandEntry>();
        foreach (Type type in typeof(CommandExecutor).Assembly.GetTypes())
        {
            if (type.IsAbstract || type.IsInterface)
            {
                continue;
            }

            foreach (Type contract in type.GetInterfaces())
            {
                if (contract.IsGenericType && contract.GetGenericTypeDefinition() == typeof(ICommandHandler<,>))
                {
                    object handler = Activator.CreateInstance(type, services)!;
                    Type entryType = typeof(CommandEntry<,>).MakeGenericType(contract.GetGenericArguments());
                    entries.Add((CommandEntry)Activator.CreateInstance(entryType, handler, _logger)!);
                }
            }
        }

        _byOp = new CommandEntry?[entries.Count == 0 ? 0 : entries.Max(e => e.Op) + 1];
        foreach (CommandEntry entry in entries)
        {
            if (_byOp[entry.Op] is { } other)
            {
                throw new InvalidOperationException($"Commands {other.Name} and {entry.Name} both use op {entry.Op}.");
            }

            _byOp[entry.Op] = entry;
        }
    }

    /// <summary>The ops this gateway executes, by command name (for tests and diagnostics).</summary>
    public IReadOnlyDictionary<uint, string> Operations => _byOp.Where(e => e is not null).ToDictionary(e => e!.Op, e => e!.Name);

    /// <summary>Executes one Command frame; <paramref name="frame"/> is positioned after its kind.</summary>
    public void Execute(WorkerLink link, SendBatch batch, ref FieldReader frame)
    {
        (uint requestId, uint op) = Frame.ReadCommandHeader(ref frame);
        if (op >= (uint)_byOp.Length || _byOp[op] is not { } entry)
        {
            Log.CommandFailed(_logger, op.ToString(System.Globalization.CultureInfo.InvariantCulture), link.Connection.PeerId,
                "unknown op (is the worker newer than this gateway?)");
            frame.SkipRest();
            Refuse(link, requestId, ReplyStatus.UnknownOp);
            return;
        }

        entry.Execute(new CommandContext(link, batch), requestId, ref frame);
    }

    internal static void Refuse(WorkerLink link, uint requestId, ReplyStatus status)
    {
        if (requestId != 0)
        {
            link.Connection.TrySend(Frame.WriteRefusal(requestId, status));
        }
    }

    /// <summary>One op: reads its command, runs its handler, writes its reply.</summary>
    private abstract class CommandEntry
    {
        public abstract uint Op { get; }

        public abstract string Name { get; }

        public abstract void Execute(CommandContext context, uint requestId, ref FieldReader frame);
    }

    private sealed class CommandEntry<TCommand, TResult>(ICommandHandler<TCommand, TResult> handler, ILogger logger) : CommandEntry
        where TCommand : struct, ICommand<TCommand, TResult>
        where TResult : struct, IWireFields<TResult>
    {
        public override uint Op => TCommand.Op;

        public override string Name { get; } = typeof(TCommand).Name.Replace("Command", "", StringComparison.Ordinal);

        public override void Execute(CommandContext context, uint requestId, ref FieldReader frame)
        {
            TCommand command = Frame.Read<TCommand>(ref frame);
            ValueTask<TResult> pending;
            try
            {
                pending = handler.Execute(command, context);
            }
            catch (CommandRefusedException refused)
            {
                Refused(context.Link, requestId, refused);
                return;
            }

            if (pending.IsCompletedSuccessfully)
            {
                Reply(context.Link, requestId, pending.Result);
            }
            else
            {
                _ = ReplyLaterAsync(context.Link, requestId, pending);
            }
        }

        private async Task ReplyLaterAsync(WorkerLink link, uint requestId, ValueTask<TResult> pending)
        {
            TResult result;
            try
            {
                result = await pending.ConfigureAwait(false);
            }
            catch (CommandRefusedException refused)
            {
                Refused(link, requestId, refused);
                return;
            }
            catch (Exception ex)
            {
                Refused(link, requestId, new CommandRefusedException(ReplyStatus.Failed, ex.Message));
                return;
            }

            Reply(link, requestId, result);
        }

        private static void Reply(WorkerLink link, uint requestId, in TResult result)
        {
            if (requestId != 0)
            {
                link.Connection.TrySend(Frame.WriteReply(requestId, result));
            }
        }

        private void Refused(WorkerLink link, uint requestId, CommandRefusedException refused)
        {
            Log.CommandFailed(logger, Name, link.Connection.PeerId, refused.Message);
            Refuse(link, requestId, refused.Status);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(3011, LogLevel.Warning, "Command {Op} from {NodeId} failed: {Reason}", EventName = "CommandFailed")]
        public static partial void CommandFailed(ILogger logger, string op, string nodeId, string reason);
    }
}
