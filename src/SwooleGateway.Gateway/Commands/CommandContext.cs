using SwooleGateway.Gateway.Clients;
using SwooleGateway.Gateway.Routing;

namespace SwooleGateway.Gateway.Commands;

/// <summary>Where a command came from: the worker's link, and the send batch of the read that carried it.</summary>
internal readonly record struct CommandContext(WorkerLink Link, SendBatch Batch);
