using System.Buffers;
using MessagePack;

namespace SwooleGateway.Protocol.Commands;

/// <summary>
/// What a gateway knows of one client, only the asked parts: a map whose keys are <c>ip</c>, <c>port</c>
/// (<see cref="ClientInfoFlags.RemoteAddress"/>, <see cref="ClientInfoFlags.RemotePort"/>), <c>uid</c>, <c>session</c>
/// (bin|nil), <c>groups</c> ([str]) and, for <see cref="ClientInfoFlags.System"/>, <c>transport</c>, <c>listener</c>,
/// <c>connectedAt</c> (unix ms), <c>bytesIn</c>, <c>bytesOut</c>, <c>messagesIn</c>, <c>messagesOut</c>; nil when the
/// client is gone. Keys a reader does not know are skipped.
/// </summary>
internal readonly record struct ClientInfoResult(ClientInfoValues? Info) : IWireFields<ClientInfoResult>
{
    public static string Schema => "info:map|nil";

    public void Write(ref FieldWriter writer)
    {
        ref MessagePackWriter w = ref writer.Nested();
        if (Info is not { } info)
        {
            w.WriteNil();
            return;
        }

        ClientInfoFlags f = info.Fields;
        int count = (f.HasFlag(ClientInfoFlags.RemoteAddress) ? 1 : 0) + (f.HasFlag(ClientInfoFlags.RemotePort) ? 1 : 0)
            + (f.HasFlag(ClientInfoFlags.Uid) ? 1 : 0) + (f.HasFlag(ClientInfoFlags.Session) ? 1 : 0)
            + (f.HasFlag(ClientInfoFlags.Groups) ? 1 : 0) + (f.HasFlag(ClientInfoFlags.System) ? 7 : 0);
        w.WriteMapHeader(count);
        if (f.HasFlag(ClientInfoFlags.RemoteAddress))
        {
            w.Write("ip");
            w.Write(info.RemoteAddress);
        }

        if (f.HasFlag(ClientInfoFlags.RemotePort))
        {
            w.Write("port");
            w.Write(info.RemotePort);
        }

        if (f.HasFlag(ClientInfoFlags.Uid))
        {
            w.Write("uid");
            w.Write(info.Uid);
        }

        if (f.HasFlag(ClientInfoFlags.Session))
        {
            w.Write("session");
            if (info.Session is { Length: > 0 } session)
            {
                w.Write(session);
            }
            else
            {
                w.WriteNil();
            }
        }

        if (f.HasFlag(ClientInfoFlags.Groups))
        {
            w.Write("groups");
            string[] groups = info.Groups ?? [];
            w.WriteArrayHeader(groups.Length);
            foreach (string g in groups)
            {
                w.Write(g);
            }
        }

        if (f.HasFlag(ClientInfoFlags.System))
        {
            w.Write("transport");
            w.Write(info.Transport);
            w.Write("listener");
            w.Write(info.Listener);
            w.Write("connectedAt");
            w.Write(info.ConnectedAt);
            w.Write("bytesIn");
            w.Write(info.BytesIn);
            w.Write("bytesOut");
            w.Write(info.BytesOut);
            w.Write("messagesIn");
            w.Write(info.MessagesIn);
            w.Write("messagesOut");
            w.Write(info.MessagesOut);
        }
    }

    public static ClientInfoResult Read(ref FieldReader reader)
    {
        ref MessagePackReader r = ref reader.Nested();
        if (r.TryReadNil())
        {
            return new ClientInfoResult(null);
        }

        var info = new ClientInfoValues();
        int count = r.ReadMapHeader();
        for (int i = 0; i < count; i++)
        {
            switch (r.ReadString())
            {
                case "ip":
                    info.Fields |= ClientInfoFlags.RemoteAddress;
                    info.RemoteAddress = r.ReadString();
                    break;
                case "port":
                    info.Fields |= ClientInfoFlags.RemotePort;
                    info.RemotePort = r.ReadInt32();
                    break;
                case "uid":
                    info.Fields |= ClientInfoFlags.Uid;
                    info.Uid = r.ReadString();
                    break;
                case "session":
                    info.Fields |= ClientInfoFlags.Session;
                    info.Session = r.TryReadNil() ? null : r.ReadBytes()?.ToArray();
                    break;
                case "groups":
                {
                    info.Fields |= ClientInfoFlags.Groups;
                    int n = r.ReadArrayHeader();
                    var groups = new string[n];
                    for (int g = 0; g < n; g++)
                    {
                        groups[g] = r.ReadString() ?? "";
                    }

                    info.Groups = groups;
                    break;
                }

                case "transport":
                    info.Fields |= ClientInfoFlags.System;
                    info.Transport = r.ReadString();
                    break;
                case "listener":
                    info.Listener = r.ReadString();
                    break;
                case "connectedAt":
                    info.ConnectedAt = r.ReadInt64();
                    break;
                case "bytesIn":
                    info.BytesIn = r.ReadInt64();
                    break;
                case "bytesOut":
                    info.BytesOut = r.ReadInt64();
                    break;
                case "messagesIn":
                    info.MessagesIn = r.ReadInt64();
                    break;
                case "messagesOut":
                    info.MessagesOut = r.ReadInt64();
                    break;
                default:
                    r.Skip();
                    break;
            }
        }

        return new ClientInfoResult(info);
    }
}
