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
                    SendTo(c, payload, text, link);
                }

                break;
            }

            case CommandOp.SendToClients:
            {
                int count = r.ReadArrayHeader();
                ulong[] ids = ArrayPool<ulong>.Shared.Rent(Math.Max(count, 1));
                try
                {
                    for (int i = 0; i < count; i++)
                    {
                        ids[i] = r.ReadUInt64();
                    }

                    ReadOnlySequence<byte> payload = ReadPayload(ref r);
                    bool text = IsText(r.ReadUInt32(), payload);
                    for (int i = 0; i < count; i++)
                    {
                        if (_store.Find(ids[i]) is { } c)
                        {
                            SendTo(c, payload, text, link);
                        }
                    }
                }
                finally
                {
                    ArrayPool<ulong>.Shared.Return(ids);
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

                    var state = new FanOut(this, link, ReadPayload(ref r), false, default);
                    state.Text = IsText(r.ReadUInt32(), state.Payload);
                    state.Exclude = ReadExclude(ref r);
                    state.Delivered = keys > 1 ? [] : null; // several groups: each member once
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
                var state = new FanOut(this, link, ReadPayload(ref r), false, default);
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
                        SendTo(c, message, IsText(flags, message), link);
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

            case CommandOp.GetUidCount:
                Reply(link, requestId, ReplyStatus.Ok, ReplyKind.Count, new ReplyValue { Count = (uint)_store.UidCount });
                return;

            case CommandOp.GetUidCountByGroup:
                Reply(link, requestId, ReplyStatus.Ok, ReplyKind.Count, new ReplyValue { Count = (uint)_store.UidCountInGroup(ReadKey(ref r, "group")) });
                return;

            case CommandOp.ListClients:
            {
                var scope = (ListScope)r.ReadUInt32();
                string? key = r.ReadString();
                ulong after = r.ReadUInt64();
                int limit = ReadLimit(ref r);
                (List<ulong> page, bool more) = _store.ListClients(scope, key, after, limit);
                var scratch = BeginReply(out MessagePackWriter w, requestId, ReplyStatus.Ok, 2);
                w.WriteArrayHeader(page.Count);
                foreach (ulong id in page)
                {
                    w.Write(id);
                }

                w.Write(more);
                EndReply(link, scratch, ref w);
                return;
            }

            case CommandOp.ListUids:
            case CommandOp.ListGroups:
            {
                string? group = op == CommandOp.ListUids ? r.ReadString() : null;
                string? after = r.ReadString();
                int limit = ReadLimit(ref r);
                (List<string> page, bool more) = op == CommandOp.ListUids ? _store.ListUids(group, after, limit) : _store.ListGroups(after, limit);
                var scratch = BeginReply(out MessagePackWriter w, requestId, ReplyStatus.Ok, 2);
                w.WriteArrayHeader(page.Count);
                foreach (string item in page)
                {
                    w.Write(item);
                }

                w.Write(more);
                EndReply(link, scratch, ref w);
                return;
            }

            case CommandOp.GetClientInfo:
            {
                ClientConnection? c = _store.Find(r.ReadUInt64());
                uint fields = r.ReadUInt32();
                var scratch = BeginReply(out MessagePackWriter w, requestId, ReplyStatus.Ok, 1);
                if (c is null || c.IsClosing)
                {
                    w.WriteNil();
                }
                else
                {
                    WriteClientInfo(ref w, c, fields);
                }

                EndReply(link, scratch, ref w);
                return;
            }

            case CommandOp.GetSessionsByGroup:
            {
                string group = ReadKey(ref r, "group");
                ulong after = r.ReadUInt64();
                int limit = ReadLimit(ref r);
                (List<ulong> page, bool more) = _store.ListClients(ListScope.Group, group, after, limit);
                var scratch = BeginReply(out MessagePackWriter w, requestId, ReplyStatus.Ok, 2);
                w.WriteArrayHeader(page.Count);
                foreach (ulong id in page)
                {
                    SessionState? session = _store.Find(id) is { } c ? Volatile.Read(ref c.Session) : null;
                    w.WriteArrayHeader(2);
                    w.Write(id);
                    if (session is { Bytes.Length: > 0 })
                    {
                        w.Write(session.Bytes);
                    }
                    else
                    {
                        w.WriteNil();
                    }
                }

                w.Write(more);
                EndReply(link, scratch, ref w);
                return;
            }

            case CommandOp.Custom:
            {
                string name = ReadKey(ref r, "command name");
                byte[] payload = ReadPayload(ref r).ToArray();
                RunCustomCommand(link, requestId, name, payload);
                return;
            }

            default:
                Log.CommandFailed(_logger, ((uint)op).ToString(System.Globalization.CultureInfo.InvariantCulture), link.Connection.PeerId, "unknown op (is the worker newer than this gateway?)");
                Reply(link, requestId, ReplyStatus.UnknownOp, ReplyKind.None, default);
                return;
        }

        // Mutations and sends answer only when the caller asked (request id != 0).
        Reply(link, requestId, ReplyStatus.Ok, ReplyKind.None, default);
    }

    private const int MaxPage = 10_000;

    private static int ReadLimit(ref MessagePackReader r) => (int)Math.Clamp(r.ReadUInt32(), 1u, MaxPage);

    /// <summary>
    /// Client info reply: a map with only the asked fields. Keys: ip, port (RemoteAddress/RemotePort), uid, session (bin|nil),
    /// groups ([str]), and for System: transport, listener, connectedAt (unix ms), bytesIn, bytesOut, messagesIn, messagesOut.
    /// </summary>
    private void WriteClientInfo(ref MessagePackWriter w, ClientConnection c, uint fields)
    {
        var f = (ClientInfoFlags)fields;
        (string? uid, string[] groups) = _store.Membership(c);
        int count = (f.HasFlag(ClientInfoFlags.RemoteAddress) ? 1 : 0) + (f.HasFlag(ClientInfoFlags.RemotePort) ? 1 : 0)
            + (f.HasFlag(ClientInfoFlags.Uid) ? 1 : 0) + (f.HasFlag(ClientInfoFlags.Session) ? 1 : 0)
            + (f.HasFlag(ClientInfoFlags.Groups) ? 1 : 0) + (f.HasFlag(ClientInfoFlags.System) ? 7 : 0);
        w.WriteMapHeader(count);
        if (f.HasFlag(ClientInfoFlags.RemoteAddress))
        {
            w.Write("ip");
            w.Write(c.Remote?.Address.ToString() ?? "");
        }

        if (f.HasFlag(ClientInfoFlags.RemotePort))
        {
            w.Write("port");
            w.Write(c.Remote?.Port ?? 0);
        }

        if (f.HasFlag(ClientInfoFlags.Uid))
        {
            w.Write("uid");
            w.Write(uid);
        }

        if (f.HasFlag(ClientInfoFlags.Session))
        {
            w.Write("session");
            SessionState? session = Volatile.Read(ref c.Session);
            if (session is { Bytes.Length: > 0 })
            {
                w.Write(session.Bytes);
            }
            else
            {
                w.WriteNil();
            }
        }

        if (f.HasFlag(ClientInfoFlags.Groups))
        {
            w.Write("groups");
            w.WriteArrayHeader(groups.Length);
            foreach (string g in groups)
            {
                w.Write(g);
            }
        }

        if (f.HasFlag(ClientInfoFlags.System))
        {
            w.Write("transport");
            w.Write(c.Listener.Transport);
            w.Write("listener");
            w.Write(c.Listener.Name);
            w.Write("connectedAt");
            w.Write(c.ConnectedAt);
            w.Write("bytesIn");
            w.Write(Volatile.Read(ref c.BytesIn));
            w.Write("bytesOut");
            w.Write(Volatile.Read(ref c.BytesOut));
            w.Write("messagesIn");
            w.Write(Volatile.Read(ref c.MessagesIn));
            w.Write("messagesOut");
            w.Write(Volatile.Read(ref c.MessagesOut));
        }
    }

    private void RunCustomCommand(WorkerLink link, uint requestId, string name, byte[] payload)
    {
        if (!_commands.TryGetValue(name, out GatewayCommandHandler? handler))
        {
            Log.CommandFailed(_logger, "custom:" + name, link.Connection.PeerId, "no such command is registered on this gateway (AddSwooleGatewayCommand)");
            Reply(link, requestId, ReplyStatus.UnknownCommand, ReplyKind.None, default);
            return;
        }

        _ = RunAsync();

        async Task RunAsync()
        {
            byte[]? result;
            try
            {
                result = await handler(new GatewayCommandContext(this, link.Connection.PeerId), payload).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                Log.CommandFailed(_logger, "custom:" + name, link.Connection.PeerId, ex.Message);
                Reply(link, requestId, ReplyStatus.Failed, ReplyKind.None, default);
                return;
            }

            Reply(link, requestId, ReplyStatus.Ok, ReplyKind.Bytes, new ReplyValue { Bytes = result });
        }
    }

    private static ArrayBufferWriter<byte> BeginReply(out MessagePackWriter w, uint requestId, ReplyStatus status, int resultCount)
    {
        var scratch = FrameCodec.BeginFrame();
        w = new MessagePackWriter(scratch);
        w.WriteArrayHeader(3 + resultCount);
        w.Write((uint)MessageKind.Reply);
        w.Write(requestId);
        w.Write((uint)status);
        return scratch;
    }

    private static void EndReply(WorkerLink link, ArrayBufferWriter<byte> scratch, ref MessagePackWriter w)
    {
        w.Flush();
        link.Connection.TrySend(FrameCodec.EndFrame(scratch));
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

        var scratch = BeginReply(out MessagePackWriter w, requestId, status, kind == ReplyKind.None ? 0 : 1);
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

        EndReply(link, scratch, ref w);
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

    private struct FanOut(GatewayServer server, WorkerLink batch, ReadOnlySequence<byte> payload, bool text, ExcludeSet exclude)
    {
        public readonly GatewayServer Server = server;
        public readonly WorkerLink Batch = batch;
        public readonly ReadOnlySequence<byte> Payload = payload;
        public bool Text = text;
        public ExcludeSet Exclude = exclude;
        public HashSet<ulong>? Delivered;

        public static void Send(ClientConnection connection, ref FanOut state)
        {
            if (!state.Exclude.Contains(connection.Id) && (state.Delivered is null || state.Delivered.Add(connection.Id)))
            {
                state.Server.SendTo(connection, state.Payload, state.Text, state.Batch);
            }
        }
    }
}
