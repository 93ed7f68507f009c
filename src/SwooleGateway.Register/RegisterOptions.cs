namespace SwooleGateway.Register;

/// <summary>Register settings, section <c>SwooleGateway:Register</c>.</summary>
public sealed class RegisterOptions
{
    public const string SectionName = "SwooleGateway:Register";

    /// <summary>Address the register listens on for gateways, workers and clients. Default <c>127.0.0.1:1236</c>.</summary>
    public string Listen { get; set; } = "127.0.0.1:1236";

    /// <summary>
    /// Where the admin endpoint listens (the cluster status page at <c>/</c> and <c>/status.json</c>), e.g.
    /// <c>127.0.0.1:1237</c>. Empty (default): no admin endpoint. A non-loopback address needs <see cref="AdminToken"/>.
    /// </summary>
    public string? Admin { get; set; }

    /// <summary>The token the admin endpoint requires (<c>Authorization: Bearer TOKEN</c> or <c>?token=TOKEN</c>); required off loopback.</summary>
    public string? AdminToken { get; set; }
}
