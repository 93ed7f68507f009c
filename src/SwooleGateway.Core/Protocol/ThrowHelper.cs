using System.Diagnostics.CodeAnalysis;

namespace SwooleGateway.Protocol;

internal static class ThrowHelper
{
    [DoesNotReturn]
    public static void Protocol(string message) => throw new ProtocolViolationException(message);

    [DoesNotReturn]
    public static void FrameTooLarge(long length, int max) =>
        throw new ProtocolViolationException($"frame of {length} bytes exceeds the limit of {max} bytes");
}
