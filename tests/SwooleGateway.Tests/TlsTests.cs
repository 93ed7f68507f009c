using System.Net.Security;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using SwooleGateway.Tests.Infrastructure;

namespace SwooleGateway.Tests;

/// <summary>wss and TLS-over-TCP listeners with generated self-signed certificates (PEM and PFX), and reload without restart.</summary>
[TestFixture]
[NonParallelizable]
[CancelAfter(60_000)]
public sealed class TlsTests
{
    private string _dir = null!;
    private TestCluster _cluster = null!;

    private string PemCert => Path.Combine(_dir, "gateway.crt");

    private string PemKey => Path.Combine(_dir, "gateway.key");

    private string Pfx => Path.Combine(_dir, "gateway.pfx");

    [OneTimeSetUp]
    public async Task SetUp()
    {
        _dir = Directory.CreateTempSubdirectory("swoolegateway-tls-").FullName;
        WritePem(CreateCertificate("CN=first"));
        File.WriteAllBytes(Pfx, CreateCertificate("CN=pfx").Export(X509ContentType.Pfx, "pfx-pass"));
        _cluster = await TestCluster.StartAsync(gatewaySettings: new()
        {
            ["SwooleGateway:Gateway:Listeners:2:Name"] = "wss",
            ["SwooleGateway:Gateway:Listeners:2:Protocol"] = "WebSocket",
            ["SwooleGateway:Gateway:Listeners:2:Endpoint"] = "127.0.0.1:0",
            ["SwooleGateway:Gateway:Listeners:2:Tls:CertificatePath"] = PemCert,
            ["SwooleGateway:Gateway:Listeners:2:Tls:KeyPath"] = PemKey,
            ["SwooleGateway:Gateway:Listeners:3:Name"] = "tls",
            ["SwooleGateway:Gateway:Listeners:3:Protocol"] = "Tcp",
            ["SwooleGateway:Gateway:Listeners:3:Endpoint"] = "127.0.0.1:0",
            ["SwooleGateway:Gateway:Listeners:3:Tls:CertificatePath"] = Pfx,
            ["SwooleGateway:Gateway:Listeners:3:Tls:Password"] = "pfx-pass",
        });
    }

    [OneTimeTearDown]
    public async Task TearDown()
    {
        await _cluster.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private static X509Certificate2 CreateCertificate(string subject)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(System.Net.IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
    }

    private void WritePem(X509Certificate2 certificate)
    {
        File.WriteAllText(PemCert, certificate.ExportCertificatePem());
        File.WriteAllText(PemKey, certificate.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());
    }

    [Test]
    public async Task Wss_echo_with_a_pem_certificate()
    {
        using var socket = new ClientWebSocket();
        socket.Options.RemoteCertificateValidationCallback = (_, _, _, _) => true;
        await socket.ConnectAsync(new Uri($"wss://{_cluster.Gateway.ListenerEndPoints["wss"]}/"), CancellationToken.None).WaitAsync(TimeoutExtensions.Default);
        await socket.SendAsync("echo:secure"u8.ToArray(), WebSocketMessageType.Text, true, CancellationToken.None).DefaultTimeout();
        var buffer = new byte[64];
        ValueWebSocketReceiveResult result = await socket.ReceiveAsync(buffer.AsMemory(), CancellationToken.None).DefaultTimeout();
        Assert.That(Encoding.UTF8.GetString(buffer, 0, result.Count), Is.EqualTo("echo:secure"));
    }

    [Test]
    public async Task Tls_over_tcp_echo_with_a_pfx_certificate()
    {
        (SslStream ssl, X509Certificate? remote) = await ConnectTls(_cluster.Gateway.ListenerEndPoints["tls"]);
        await using (ssl)
        {
            Assert.That(remote!.Subject, Is.EqualTo("CN=pfx"));
            await ssl.WriteAsync("echo:over tls\n"u8.ToArray()).AsTask().DefaultTimeout();
            using var reader = new StreamReader(ssl);
            Assert.That(await reader.ReadLineAsync().DefaultTimeout(), Is.EqualTo("echo:over tls"));
        }
    }

    [Test]
    public async Task A_replaced_certificate_is_served_without_restart()
    {
        (SslStream first, X509Certificate? before) = await ConnectTls(_cluster.Gateway.ListenerEndPoints["wss"]);
        await first.DisposeAsync();
        Assert.That(before!.Subject, Is.EqualTo("CN=first"));

        WritePem(CreateCertificate("CN=second"));
        File.SetLastWriteTimeUtc(PemCert, DateTime.UtcNow.AddMinutes(1));
        await TimeoutExtensions.WaitUntilAsync(async () =>
        {
            (SslStream ssl, X509Certificate? now) = await ConnectTls(_cluster.Gateway.ListenerEndPoints["wss"]);
            await ssl.DisposeAsync();
            return now!.Subject == "CN=second";
        }, "the new certificate to be served");
        await _cluster.Logs.WaitFor("TLS certificate reloaded");
    }

    [Test]
    public async Task Plain_bytes_on_a_tls_port_fail_the_handshake_with_a_log_line()
    {
        using var client = new TcpClient(AddressFamily.InterNetwork);
        await client.ConnectAsync(_cluster.Gateway.ListenerEndPoints["tls"]).WaitAsync(TimeoutExtensions.Default);
        NetworkStream stream = client.GetStream();
        await stream.WriteAsync("GET / HTTP/1.1\r\n\r\n"u8.ToArray()).AsTask().DefaultTimeout();
        var buffer = new byte[256];
        try
        {
            while (await stream.ReadAsync(buffer).AsTask().DefaultTimeout() > 0)
            {
            }
        }
        catch (IOException)
        {
        }

        await _cluster.Logs.WaitFor("TLS handshake failed");
    }

    private static async Task<(SslStream, X509Certificate?)> ConnectTls(System.Net.IPEndPoint endpoint)
    {
        var client = new TcpClient(AddressFamily.InterNetwork);
        await client.ConnectAsync(endpoint).WaitAsync(TimeoutExtensions.Default);
        var ssl = new SslStream(client.GetStream(), leaveInnerStreamOpen: false, (_, _, _, _) => true);
        await ssl.AuthenticateAsClientAsync("127.0.0.1").WaitAsync(TimeoutExtensions.Default);
        return (ssl, ssl.RemoteCertificate);
    }
}
