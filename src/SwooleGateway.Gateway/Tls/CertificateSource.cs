using System.Security.Cryptography.X509Certificates;

namespace SwooleGateway.Gateway.Tls;

/// <summary>
/// A listener's certificate from PEM (certificate + key files) or PFX, reloaded without restart: before a handshake,
/// at most every <see cref="CheckInterval"/>, the files' write times are compared and a changed certificate is loaded.
/// A file that fails to load keeps the previous certificate (and says so through <see cref="ReloadFailed"/>).
/// </summary>
internal sealed class CertificateSource
{
    public static readonly TimeSpan CheckInterval = TimeSpan.FromSeconds(1);

    private readonly TlsOptions _options;
    private readonly Lock _gate = new();
    private X509Certificate2 _current;
    private DateTime _stamp;
    private long _nextCheck;

    public CertificateSource(TlsOptions options)
    {
        _options = options;
        _stamp = Stamp();
        _current = Load();
        _nextCheck = Environment.TickCount64 + (long)CheckInterval.TotalMilliseconds;
    }

    public Action<Exception>? ReloadFailed { get; set; }

    public Action<X509Certificate2>? Reloaded { get; set; }

    public X509Certificate2 Current
    {
        get
        {
            long now = Environment.TickCount64;
            if (now < Volatile.Read(ref _nextCheck))
            {
                return _current;
            }

            lock (_gate)
            {
                if (now < _nextCheck)
                {
                    return _current;
                }

                _nextCheck = now + (long)CheckInterval.TotalMilliseconds;
                DateTime stamp = Stamp();
                if (stamp != _stamp)
                {
                    try
                    {
                        X509Certificate2 next = Load();
                        _current = next;
                        _stamp = stamp;
                        Reloaded?.Invoke(next);
                    }
                    catch (Exception ex) when (ex is IOException or System.Security.Cryptography.CryptographicException or UnauthorizedAccessException or ArgumentException)
                    {
                        ReloadFailed?.Invoke(ex);
                    }
                }

                return _current;
            }
        }
    }

    private DateTime Stamp()
    {
        DateTime cert = File.GetLastWriteTimeUtc(_options.CertificatePath);
        DateTime key = _options.KeyPath is null ? DateTime.MinValue : File.GetLastWriteTimeUtc(_options.KeyPath);
        return cert > key ? cert : key;
    }

    private X509Certificate2 Load()
    {
        if (!File.Exists(_options.CertificatePath))
        {
            throw new FileNotFoundException($"TLS certificate file not found: {_options.CertificatePath}", _options.CertificatePath);
        }

        if (_options.CertificatePath.EndsWith(".pfx", StringComparison.OrdinalIgnoreCase) || _options.CertificatePath.EndsWith(".p12", StringComparison.OrdinalIgnoreCase))
        {
            return X509CertificateLoader.LoadPkcs12FromFile(_options.CertificatePath, _options.Password);
        }

        X509Certificate2 pem = _options.KeyPath is null
            ? X509Certificate2.CreateFromPemFile(_options.CertificatePath)
            : X509Certificate2.CreateFromPemFile(_options.CertificatePath, _options.KeyPath);
        if (!pem.HasPrivateKey)
        {
            throw new ArgumentException($"TLS certificate {_options.CertificatePath} has no private key; set KeyPath to the PEM key file.");
        }

        return pem;
    }
}
