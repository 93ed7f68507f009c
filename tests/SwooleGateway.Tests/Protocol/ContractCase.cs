using SwooleGateway.Protocol;
using SwooleGateway.Tests.Infrastructure;
using SwooleGateway.Worker;

namespace SwooleGateway.Tests.Protocol;

/// <summary>
/// One Gateway API operation, specified once and checked on both sides of the link: the worker side must turn the API call
/// into exactly <c>command</c> (and, given <c>result</c>, return <c>expected</c>); the gateway side, in the state
/// <c>arrange</c> leaves, must answer <c>command</c> with exactly <c>result</c> (and do <c>effect</c>).
/// </summary>
public abstract class ContractCase
{
    public abstract string Name { get; }

    /// <summary>The command, for the round-trip and documentation tests.</summary>
    internal abstract WireCase Wire { get; }

    internal abstract Task RunGatewaySideAsync();

    internal abstract Task RunWorkerSideAsync();

    public override string ToString() => Name;
}

internal sealed class ContractCase<TCommand, TResult> : ContractCase
    where TCommand : struct, ICommand<TCommand, TResult>
    where TResult : struct, IWireFields<TResult>
{
    public required Func<GatewayApi, Task<object?>> Call { get; init; }

    public required TCommand Command { get; init; }

    /// <summary>The API waits for the gateway's reply (mutations and queries); false for sends (request id 0).</summary>
    public bool WantsReply { get; init; } = true;

    public TResult Result { get; init; }

    public object? Expected { get; init; }

    public Action<GatewayHarness>? Arrange { get; init; }

    public Func<GatewayHarness, Task>? Effect { get; init; }

    public override string Name => CommandCase<TCommand, TResult>.CommandName(typeof(TCommand));

    internal override WireCase Wire => new CommandCase<TCommand, TResult>(Command);

    internal override async Task RunGatewaySideAsync()
    {
        await using var gateway = new GatewayHarness();
        Arrange?.Invoke(gateway);
        await gateway.ExecuteAsync(Frame.WriteCommand<TCommand, TResult>(9, Command).ToArray());
        (uint requestId, uint status, byte[] result) = await gateway.Replies.NextAsync();
        Assert.That(requestId, Is.EqualTo(9));
        Assert.That((ReplyStatus)status, Is.EqualTo(ReplyStatus.Ok));
        Assert.That(result, Is.EqualTo(FrameCapture.RestOf(Frame.WriteReply(9, Result))), "the gateway's answer");
        if (Effect is not null)
        {
            await Effect(gateway);
        }
    }

    internal override async Task RunWorkerSideAsync()
    {
        await using WorkerHarness worker = await WorkerHarness.StartAsync();
        Task<object?> call = Call(worker.Api);
        (uint requestId, uint op, byte[] args) = await worker.Gateway.NextAsync();
        Assert.That(op, Is.EqualTo(TCommand.Op));
        Assert.That(args, Is.EqualTo(FrameCapture.RestOf(Frame.WriteCommand<TCommand, TResult>(0, Command))), "the command the API sends");
        if (WantsReply)
        {
            Assert.That(requestId, Is.Not.Zero, "a call that waits for its reply has a request id");
            worker.Reply(Frame.WriteReply(requestId, Result));
        }
        else
        {
            Assert.That(requestId, Is.Zero, "a send wants no reply");
        }

        Assert.That(await call.DefaultTimeout(), Is.EqualTo(Expected), "what the API returns");
    }
}
