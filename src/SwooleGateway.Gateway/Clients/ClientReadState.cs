using SwooleGateway.Transport;

namespace SwooleGateway.Gateway.Clients;

/// <summary>
/// What a client's read loop keeps between reads: a WebSocket message being reassembled from fragments. It lives in the
/// loop's own frame and is passed by reference to the listener's parser, so nothing else can reach it.
/// </summary>
internal struct ClientReadState
{
    public PooledBufferWriter? Fragments;

    public byte FragmentOpcode;

    /// <summary>Gives back a half-reassembled message's buffer.</summary>
    public void Release()
    {
        Fragments?.Reset();
        Fragments = null;
    }
}
