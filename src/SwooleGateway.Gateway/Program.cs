using SwooleGateway.Gateway;

// The stock gateway executable: dotnet run --project src/SwooleGateway.Gateway [--SwooleGateway:Gateway:Internal=host:port ...]
// The dotnet tool (swoolegateway gateway) runs the same code.
return await GatewayProgram.RunAsync(args);
