namespace SwooleGateway.Worker;

/// <summary>
/// A cluster-wide query could not reach every gateway in time. Never a silent half answer: this names the
/// gateways that did not answer and carries what the others said.
/// </summary>
public sealed class IncompleteResultException : Exception
{
    public IncompleteResultException(IReadOnlyList<string> missingGateways, object? partialResult, string detail)
        : base($"{missingGateways.Count} gateway(s) did not answer: {string.Join(", ", missingGateways)} ({detail}). The result would be incomplete.")
    {
        MissingGateways = missingGateways;
        PartialResult = partialResult;
    }

    /// <summary>Advertised addresses of the gateways that did not answer.</summary>
    public IReadOnlyList<string> MissingGateways { get; }

    /// <summary>What the gateways that answered said (the type of the query's result), for callers that can use part of it.</summary>
    public object? PartialResult { get; }
}
