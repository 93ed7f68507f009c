namespace SwooleGateway.Protocol;

/// <summary>The status of a Reply frame. Values are wire format.</summary>
internal enum ReplyStatus : uint
{
    Ok = 0,

    /// <summary>The gateway does not know the op (it is older than the caller).</summary>
    UnknownOp = 1,

    BadArguments = 2,

    /// <summary>The command ran and failed (a custom command threw).</summary>
    Failed = 3,

    /// <summary>No custom command of that name is registered on the gateway.</summary>
    UnknownCommand = 4,
}
