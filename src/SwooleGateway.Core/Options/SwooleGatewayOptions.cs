namespace SwooleGateway.Options;

/// <summary>
/// Settings every role shares; bound from the <c>SwooleGateway</c> configuration section
/// (for example <c>--SwooleGateway:Secret=...</c> on the command line).
/// </summary>
public sealed class SwooleGatewayOptions
{
    public const string SectionName = "SwooleGateway";

    /// <summary>The development default. Refused on any non-loopback internal address.</summary>
    public const string DevelopmentSecret = "swoole-gateway-dev-secret";

    /// <summary>Shared secret of the cluster; never sent on the wire (challenge + HMAC-SHA256). Replaced by <see cref="Secrets"/> when that is set.</summary>
    public string Secret { get; set; } = DevelopmentSecret;

    /// <summary>
    /// For rotating the secret without downtime: the current secret first (this node proves itself with it), then the
    /// previous one(s), which this node still accepts from peers. When set, it replaces <see cref="Secret"/>. Read at every
    /// handshake, so a change in appsettings.json applies to the next link without a restart; links already up stay.
    /// Rotation: every node <c>[old, new]</c>, then every node <c>[new, old]</c>, then every node <c>[new]</c>.
    /// </summary>
    public List<string> Secrets { get; set; } = [];

    /// <summary>The secrets in effect: <see cref="Secrets"/> (empty entries skipped), or <see cref="Secret"/>. The first is the current one.</summary>
    public IReadOnlyList<string> EffectiveSecrets
    {
        get
        {
            string[] listed = [.. Secrets.Where(s => !string.IsNullOrEmpty(s))];
            return listed.Length > 0 ? listed : [Secret];
        }
    }

    /// <summary>Set by the host: the secrets of the configuration as it is now (they may change while running).</summary>
    internal Func<IReadOnlyList<string>>? LiveSecrets { get; set; }

    /// <summary>
    /// The secrets for a handshake now: the live configuration's, or these options' when it has none that is usable (an
    /// empty entry, or the development secret on a node that did not start with it).
    /// </summary>
    internal IReadOnlyList<string> CurrentSecrets
    {
        get
        {
            IReadOnlyList<string>? live = null;
            try
            {
                live = LiveSecrets?.Invoke();
            }
            catch (Exception ex) when (ex is InvalidOperationException or ObjectDisposedException)
            {
                // The host is stopping or the reloaded configuration does not bind: keep what we had.
            }

            // A reload cannot bring in the development secret on a node that started without it (Validate refuses it off
            // loopback at start; a reload would slip past that check).
            IReadOnlyList<string> started = EffectiveSecrets;
            bool usable = live is { Count: > 0 } && live.All(s => !string.IsNullOrEmpty(s))
                && (!live.Contains(DevelopmentSecret) || started.Contains(DevelopmentSecret));
            return usable ? live! : started;
        }
    }

    /// <summary>Register addresses (<c>host:port</c>) that gateways announce to and workers subscribe to. Default <c>127.0.0.1:1236</c>.</summary>
    public List<string> Registers { get; set; } = [];

    /// <summary>How often an idle internal link sends a ping. Default 2 s.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>An internal link with no traffic for this long is closed as dead. Default 10 s.</summary>
    public TimeSpan HeartbeatTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>An internal handshake must finish within this time. Default 5 s.</summary>
    public TimeSpan HandshakeTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Connect timeout for outbound internal links. Default 5 s.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Largest internal frame accepted. Default 16 MiB.</summary>
    public int MaxInternalFrameSize { get; set; } = 16 * 1024 * 1024;

    /// <summary>Bytes an internal link may buffer behind a slow peer before sends fail. Default 64 MiB.</summary>
    public long MaxInternalBacklogBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>How often gateways and workers report their status to the registers (the cluster view). Default 2 s.</summary>
    public TimeSpan StatusInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Longest wait between reconnect attempts (backoff starts at 100 ms and doubles). Default 2 s.</summary>
    public TimeSpan MaxReconnectDelay { get; set; } = TimeSpan.FromSeconds(2);

    public static readonly string DefaultRegister = "127.0.0.1:1236";

    /// <summary>The register list, or the default when none is configured.</summary>
    public IReadOnlyList<string> EffectiveRegisters => Registers.Count > 0 ? Registers : [DefaultRegister];

    /// <summary>Throws with an actionable message when the settings are unsafe or inconsistent.</summary>
    public void Validate(params string[] listenAddresses)
    {
        if (string.IsNullOrEmpty(Secret) && Secrets.All(string.IsNullOrEmpty))
        {
            throw new InvalidOperationException("SwooleGateway:Secret is empty; set the same secret on every register, gateway and worker.");
        }

        if (EffectiveSecrets.Contains(DevelopmentSecret))
        {
            foreach (string address in listenAddresses)
            {
                if (!Transport.EndpointParser.IsLoopback(address))
                {
                    throw new InvalidOperationException(
                        $"Refusing to listen on {address} with the development secret; set SwooleGateway:Secret to a private value on every node.");
                }
            }
        }

        if (HeartbeatTimeout <= HeartbeatInterval)
        {
            throw new InvalidOperationException("SwooleGateway:HeartbeatTimeout must be longer than SwooleGateway:HeartbeatInterval.");
        }
    }
}
