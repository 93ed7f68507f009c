using SwooleGateway.Protocol;

namespace SwooleGateway.Tests.Infrastructure;

/// <summary>
/// A link's frame handler that reads every frame and does nothing with it: a peer that is alive (its read loop runs, its
/// heartbeats go out) but never answers, or the far end of a link whose traffic a test does not look at.
/// </summary>
internal sealed class IgnoreFrames : IFrameHandler
{
    public void OnFrame(InternalConnection connection, ref FieldReader frame) => frame.SkipRest();
}
