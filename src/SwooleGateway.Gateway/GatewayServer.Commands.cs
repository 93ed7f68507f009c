using System.Buffers;
using MessagePack;
using SwooleGateway.Gateway.Clients;
using SwooleGateway.Protocol;

namespace SwooleGateway.Gateway;

// Reader of Command frames and writer of Reply frames; wire format in SwooleGateway.Protocol.GatewayProtocol / CommandOp.
public sealed partial class GatewayServer
{
    private static readonly MessagePackSerializerOptions s_sessionOptions =
        MessagePackSerializerOptions.Standard.WithSecurity(MessagePackSecurity.UntrustedData);

    private void ExecuteCommand(WorkerLink link, int fieldCount, ref MessagePackReader r)
    {
        if (fieldCount < 2)
        {
            ThrowHelper.Protocol("Command needs a request id and an op");
        }

        uint requestId = r.ReadUInt32();
        var op = (CommandOp)r.ReadUInt32();
        switch (op)
        {
            case CommandOp.SendToClient:
            {
                ClientConnection? c = _store.Find(r.ReadUInt64());
                ReadOnlySequence<byte> payload = ReadPayload(ref r);
                bool text = IsText(r.ReadUInt32(), payload);
                if (c is not null)
                {
                    SendTo(c, payload, text);
                }

                break;
            }

            case CommandOp.SendToUid:
            case CommandOp.SendToGroup:
            {
                int keys = r.ReadArrayHeader();
                string[] rented = ArrayPool<string>.Shared.Rent(Math.Max(keys, 1));
                try
                {
                    for (int i = 0; i < keys; i++)
                    {
                        rented[i] = r.ReadString() ?? "";
                    }

                    var state = new FanOut(this, ReadPayload(ref r), false, default);
                    state.Text = IsText(r.ReadUInt32(), state.Payload);
                    state.Exclude = ReadExclude(ref r);
                    try
                    {
                        for (int i = 0; i < keys; i++)
                        {
                            if (op == CommandOp.SendToUid)
                            {
                                _store.ForEachOfUid(rented[i], ref state, FanOut.Send);
                            }
                            else
                            {
                                _store.ForEachOfGroup(rented[i], ref state, FanOut.Send);
                            }
                        }
                    }
                    finally
                    {
                        state.Exclude.Return();
                    }
                }
                finally
                {
                    ArrayPool<string>.Shared.Return(rented, clearArray: true);
                }

                break;
            }

            case CommandOp.SendToAll:
            {
                var state = new FanOut(this, ReadPayload(ref r), false, default);
                state.Text = IsText(r.ReadUInt32(), state.Payload);
                state.Exclude = ReadExclude(ref r);
                try
                {
                    foreach (KeyValuePair<ulong, ClientConnection> entry in _store.Connections)
                    {
                        FanOut.Send(entry.Value, ref state);
                    }
                }
                finally
                {
                    state.Exclude.Return();
                }

                break;
            }

            case CommandOp.CloseClient:
            {
                ClientConnection? c = _store.Find(r.ReadUInt64());
                bool force = r.ReadBoolean();
                ReadOnlySequence<byte>? last = r.TryReadNil() ? null : ReadPayload(ref r);
                uint flags = r.ReadUInt32();
                if (c is not null)
                {
                    if (last is { } message)
                    {
                        SendTo(c, message, IsText(flags, message));
                    }

                    c.RequestClose(force, "closed by " + link.Connection.PeerId);
                }

                break;
            }

            case CommandOp.BindUid:
            {
                ClientConnection? c = _store.Find(r.ReadUInt64());
                string uid = ReadKey(ref r, "uid");
                if (c is not null)
                {
                    _store.BindUid(c, uid);
                }

                break;
            }

            case CommandOp.UnbindUid:
            {
                ClientConnection? c = _store.Find(r.ReadUInt64());
                if (c is not null)
                {
                    _store.UnbindUid(c);
                }

                break;
            }

            case CommandOp.JoinGroup:
            case CommandOp.LeaveGroup:
            {
                ClientConnection? c = _store.Find(r.ReadUInt64());
                string group = ReadKey(ref r, "group");
                if (c is not null)
                {
                    if (op == CommandOp.JoinGroup)
                    {
                        _store.JoinGroup(c, group);
                    }
                    else
                    {
                        _store.LeaveGroup(c, group);
                    }
                }

                break;
            }

            case CommandOp.Ungroup:
                _store.Ungroup(ReadKey(ref r, "group"));
                break;

            case CommandOp.SetSession:
            case CommandOp.UpdateSession:
            {
                ClientConnection? c = _store.Find(r.ReadUInt64());
                ReadOnlySequence<byte> bytes = ReadPayload(ref r);
                if (c is not null && !ApplySession(c, bytes, merge: op == CommandOp.UpdateSession, out string? error))
                {
                    Log.CommandFailed(_logger, op.ToString(), link.Connection.PeerId, error!);
                    Reply(link, requestId, ReplyStatus.BadArguments, ReplyKind.None, default);
                    return;
                }

                break;
            }

            case CommandOp.GetSession:
            {
                ClientConnection? c = _store.Find(r.ReadUInt64());
                SessionState? session = c is null ? null : Volatile.Read(ref c.Session);
                Reply(link, requestId, ReplyStatus.Ok, ReplyKind.Bytes, new ReplyValue { Bytes = session is { Bytes.Length: > 0 } ? session.Bytes : null });
                return;
            }

            case CommandOp.GetClientCount:
                Reply(link, requestId, ReplyStatus.Ok, ReplyKind.Count, new ReplyValue { Count = (uint)_store.Count });
                return;

            case CommandOp.IsOnline:
            {
                ClientConnection? c = _store.Find(r.ReadUInt64());
                Reply(link, requestId, ReplyStatus.Ok, ReplyKind.Bool, new ReplyValue { Bool = c is { IsClosing: false } });
                return;
            }

            case CommandOp.IsUidOnline:
                Reply(link, requestId, ReplyStatus.Ok, ReplyKind.Bool, new ReplyValue { Bool = _store.IsUidOnline(ReadKey(ref r, "uid")) });
                return;

            case CommandOp.GetClientCountByGroup:
                Reply(link, requestId, ReplyStatus.Ok, ReplyKind.Count, new ReplyValue { Count = (uint)_store.GroupCount(ReadKey(ref r, "group")) });
                return;

            default:
                Log.CommandFailed(_logger, ((uint)op).ToString(System.Globalization.CultureInfo.InvariantCulture), link.Connection.PeerId, "unknown op (is the worker newer than this gateway?)");
                Reply(link, requestId, ReplyStatus.UnknownOp, ReplyKind.None, default);
                return;
        }

        // Mutations and sends answer only when the caller asked (request id != 0).
        Reply(link, requestId, ReplyStatus.Ok, ReplyKind.None, default);
    }

    private static ReadOnlySequence<byte> ReadPayload(ref MessagePackReader r) =>
        r.ReadBytes() ?? ReadOnlySequence<byte>.Empty;

    private static string ReadKey(ref MessagePackReader r, string what)
    {
        string? key = r.ReadString();
        if (string.IsNullOrEmpty(key))
        {
            ThrowHelper.Protocol($"empty {what}");
        }

        return key;
    }

    private static bool IsText(uint flags, in ReadOnlySequence<byte> payload) => (SendFlags)flags switch
    {
        SendFlags.Text => true,
        SendFlags.Binary => false,
        _ => Utf8Validation.IsValid(payload),
    };

    private static ExcludeSet ReadExclude(ref MessagePackReader r)
    {
        int count = r.ReadArrayHeader();
        if (count == 0)
        {
            return default;
        }

        ulong[] ids = ArrayPool<ulong>.Shared.Rent(count);
        for (int i = 0; i < count; i++)
        {
            ids[i] = r.ReadUInt64();
        }

        return new ExcludeSet(ids, count);
    }

    private static bool ApplySession(ClientConnection connection, ReadOnlySequence<byte> bytes, bool merge, out string? error)
    {
        error = null;
        Dictionary<string, object?>? incoming = null;
        if (!bytes.IsEmpty)
        {
            try
            {
                incoming = MessagePackSerializer.Deserialize<Dictionary<string, object?>>(bytes, s_sessionOptions);
            }
            catch (MessagePackSerializationException ex)
            {
                error = "session is not a MessagePack map with string keys: " + ex.Message;
                return false;
            }
        }

        if (merge && (incoming is null || incoming.Count == 0))
        {
            return true; // merging nothing changes nothing
        }

        // Versions only grow (deleting stores an empty session with a new version), so a worker's cached copy
        // is never mistaken for a newer session that happens to reuse its version number.
        while (true)
        {
            SessionState? current = Volatile.Read(ref connection.Session);
            byte[] next;
            if (!merge || current is null || current.Bytes.Length == 0)
            {
                next = incoming is null ? [] : bytes.ToArray();
            }
            else
            {
                var merged = MessagePackSerializer.Deserialize<Dictionary<string, object?>>(current.Bytes, s_sessionOptions);
                foreach (KeyValuePair<string, object?> entry in incoming!)
                {
                    merged[entry.Key] = entry.Value;
                }

                next = MessagePackSerializer.Serialize(merged, s_sessionOptions);
            }

            var replacement = new SessionState(next, (current?.Version ?? 0) + 1);
            if (Interlocked.CompareExchange(ref connection.Session, replacement, current) == current)
            {
                return true;
            }
        }
    }

    private enum ReplyKind
    {
        None,
        Bool,
        Count,
        Bytes,
    }

    private struct ReplyValue
    {
        public bool Bool;
        public uint Count;
        public byte[]? Bytes;
    }

    private static void Reply(WorkerLink link, uint requestId, ReplyStatus status, ReplyKind kind, ReplyValue value)
    {
        if (requestId == 0)
        {
            return;
        }

        var scratch = FrameCodec.BeginFrame();
        var w = new MessagePackWriter(scratch);
        w.WriteArrayHeader(kind == ReplyKind.None ? 3 : 4);
        w.Write((uint)MessageKind.Reply);
        w.Write(requestId);
        w.Write((uint)status);
        switch (kind)
        {
            case ReplyKind.Bool:
                w.Write(value.Bool);
                break;
            case ReplyKind.Count:
                w.Write(value.Count);
                break;
            case ReplyKind.Bytes:
                if (value.Bytes is null)
                {
                    w.WriteNil();
                }
                else
                {
                    w.Write(value.Bytes);
                }

                break;
        }

        w.Flush();
        link.Connection.TrySend(FrameCodec.EndFrame(scratch));
    }

    /// <summary>Connection numbers a fan-out skips; a pooled array, scanned linearly (exclusion lists are short).</summary>
    private readonly struct ExcludeSet(ulong[]? ids, int count)
    {
        public bool Contains(ulong id) => ids is not null && Array.IndexOf(ids, id, 0, count) >= 0;

        public void Return()
        {
            if (ids is not null)
            {
                ArrayPool<ulong>.Shared.Return(ids);
            }
        }
    }

    private struct FanOut(GatewayServer server, ReadOnlySequence<byte> payload, bool text, ExcludeSet exclude)
    {
        public readonly GatewayServer Server = server;
        public readonly ReadOnlySequence<byte> Payload = payload;
        public bool Text = text;
        public ExcludeSet Exclude = exclude;

        public static void Send(ClientConnection connection, ref FanOut state)
        {
            if (!state.Exclude.Contains(connection.Id))
            {
                state.Server.SendTo(connection, state.Payload, state.Text);
            }
        }
    }
}
