using SwooleGateway.Register;

// The stock register executable: dotnet run --project src/SwooleGateway.Register [--SwooleGateway:Register:Listen=host:port]
//   status [--SwooleGateway:Register:Admin=host:port] [--SwooleGateway:Register:AdminToken=...]   prints the cluster view
// The dotnet tool (swoolegateway register / status) runs the same code.
return args.Length > 0 && args[0] == "status" ? await RegisterProgram.StatusAsync(args[1..]) : await RegisterProgram.RunAsync(args);
