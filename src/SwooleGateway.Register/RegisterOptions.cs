namespace SwooleGateway.Register;

/// <summary>Register settings, section <c>SwooleGateway:Register</c>.</summary>
public sealed class RegisterOptions
{
    public const string SectionName = "SwooleGateway:Register";

    /// <summary>Address the register listens on for gateways, workers and clients. Default <c>127.0.0.1:1236</c>.</summary>
    public string Listen { get; set; } = "127.0.0.1:1236";
}
