using SwooleGateway.Protocol;

namespace SwooleGateway.Worker;

/// <summary>Why a gateway refused or failed a command (<see cref="GatewayCommandException.Reason"/>).</summary>
public enum GatewayRefusal
{
    /// <summary>The gateway does not know the operation: it runs an older version than this process.</summary>
    UnknownOperation,

    /// <summary>The gateway refused the command's arguments.</summary>
    BadArguments,

    /// <summary>The command ran on the gateway and failed (a custom command threw; the gateway's log says why).</summary>
    Failed,

    /// <summary>No custom command of that name is registered on the gateway (<c>AddSwooleGatewayCommand</c>).</summary>
    UnknownCommand,

    /// <summary>The gateway's reply could not be read (a version mismatch or a bug).</summary>
    MalformedReply,
}

/// <summary>
/// A gateway refused or failed a command. An <see cref="InvalidOperationException"/>, as before this type existed, so
/// existing handlers keep catching it; catch this type to act on <see cref="Reason"/> and <see cref="Gateway"/>.
/// </summary>
public sealed class GatewayCommandException : InvalidOperationException
{
    public GatewayCommandException(string gateway, GatewayRefusal reason, string message, Exception? inner = null) : base(message, inner)
    {
        Gateway = gateway;
        Reason = reason;
    }

    /// <summary>The gateway that answered (its advertised address).</summary>
    public string Gateway { get; }

    public GatewayRefusal Reason { get; }

    internal static GatewayCommandException FromStatus(string gateway, ReplyStatus status) => new(gateway, status switch
    {
        ReplyStatus.UnknownOp => GatewayRefusal.UnknownOperation,
        ReplyStatus.BadArguments => GatewayRefusal.BadArguments,
        ReplyStatus.UnknownCommand => GatewayRefusal.UnknownCommand,
        _ => GatewayRefusal.Failed,
    }, $"Gateway {gateway} refused the command: {status}.");
}
