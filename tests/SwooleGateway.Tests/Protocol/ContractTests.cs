namespace SwooleGateway.Tests.Protocol;

/// <summary>
/// Every Gateway API operation's contract (<see cref="ContractCases"/>), run against each side on its own: the worker's
/// API must send exactly the specified command and return the specified value for the specified reply; the gateway must
/// answer the specified command with exactly the specified reply, and do what it should to its clients and tables.
/// </summary>
[TestFixture]
[CancelAfter(30_000)]
public sealed class ContractTests
{
    private static IEnumerable<ContractCase> Cases() => ContractCases.All();

    [TestCaseSource(nameof(Cases))]
    public Task Gateway_side(ContractCase operation) => operation.RunGatewaySideAsync();

    [TestCaseSource(nameof(Cases))]
    public Task Worker_side(ContractCase operation) => operation.RunWorkerSideAsync();
}
