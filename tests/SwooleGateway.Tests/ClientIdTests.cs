using System.Net;

namespace SwooleGateway.Tests;

[TestFixture]
public sealed class ClientIdTests
{
    [TestCase("127.0.0.1", 2900)]
    [TestCase("10.1.2.3", 65535)]
    [TestCase("::1", 2900)]
    [TestCase("fe80::1234:5678:9abc:def0", 1)]
    public void Round_trips_gateway_address_and_connection_number(string ip, int port)
    {
        var gateway = new IPEndPoint(IPAddress.Parse(ip), port);
        const ulong number = 0x0123_4567_89AB_CDEFUL;
        string id = ClientId.Encode(gateway, number);

        Assert.That(id, Has.Length.EqualTo(gateway.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? ClientId.IPv4Length : ClientId.IPv6Length));
        Assert.That(ClientId.TryParse(id, out ReadOnlySpan<char> key, out ulong parsed), Is.True);
        Assert.That(parsed, Is.EqualTo(number));
        Assert.That(key.ToString(), Is.EqualTo(ClientId.GatewayKey(gateway)));
        Assert.That(ClientId.TryGetGateway(id, out IPEndPoint? decoded), Is.True);
        Assert.That(decoded, Is.EqualTo(gateway));
    }

    [TestCase(null)]
    [TestCase("")]
    [TestCase("abc")]
    [TestCase("7f0000010b54zz00000000000001")]
    [TestCase("7f0000010b540000000000000001x")]
    public void Rejects_what_is_not_a_client_id(string? id)
    {
        Assert.That(ClientId.TryParse(id, out _, out _), Is.False);
        Assert.That(ClientId.TryGetGateway(id, out _), Is.False);
    }

    [Test]
    public void Ids_of_different_gateways_never_collide()
    {
        string a = ClientId.Encode(new IPEndPoint(IPAddress.Loopback, 2900), 1);
        string b = ClientId.Encode(new IPEndPoint(IPAddress.Loopback, 2901), 1);
        Assert.That(a, Is.Not.EqualTo(b));
    }
}
