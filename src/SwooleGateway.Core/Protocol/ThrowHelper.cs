using System.Diagnostics.CodeAnalysis;

namespace SwooleGateway.Protocol;

internal static class ThrowHelper
{
    [DoesNotReturn]
    public static void Protocol(string message) => throw new ProtocolErrorException(message);

    [DoesNotReturn]
    public static void FrameTooLarge(long length, int max) =>
        throw new ProtocolErrorException($"frame of {length} bytes exceeds the limit of {max} bytes");
}
