using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Text;
using SwooleGateway.Transport;

namespace SwooleGateway.Gateway.Clients;

/// <summary>
/// WebSocket (RFC 6455) on our own framing engine straight over the connection's pipe: upgrade parsed by
/// hand, masked client frames unmasked in place, fragmentation reassembled up to
/// <see cref="GatewayOptions.MaxFrameSize"/>, text validated as UTF-8, ping answered, close handshake with
/// status codes. Violations close the connection with the RFC's status code (1002, 1007, 1009).
/// </summary>
internal sealed class WebSocketListener : ClientListener
{
    public WebSocketListener(ListenerOptions options, GatewayOptions gateway) : base(options, gateway)
    {
    }

    public override string Transport => "websocket";

    public override async Task<(ClientHandshake? Handshake, HandshakeDecision Decision, string? Error)> HandshakeAsync(
        ClientConnection connection, ClientAuthorizer? authorizer, CancellationToken cancellationToken)
    {
        PipeReader input = connection.Pipe.Input;
        PipeWriter output = connection.Pipe.Output;
        WebSocketHandshake.Request? request = null;
        while (request is null)
        {
            ReadResult result = await input.ReadAsync(cancellationToken).ConfigureAwait(false);
            ReadOnlySequence<byte> buffer = result.Buffer;
            SequencePosition consumed = buffer.Start;
            try
            {
                ReadOnlySequence<byte>? head = WebSocketHandshake.TryFindRequest(buffer, out consumed);
                if (head is null || head.Value.Length > Gateway.MaxHandshakeSize)
                {
                    if (buffer.Length > Gateway.MaxHandshakeSize)
                    {
                        await RespondAsync(output, WebSocketHandshake.ErrorResponse("431 Request Header Fields Too Large")).ConfigureAwait(false);
                        return Fail($"upgrade request larger than {Gateway.MaxHandshakeSize} bytes (MaxHandshakeSize)");
                    }

                    if (result.IsCompleted || result.IsCanceled)
                    {
                        return Fail("closed before completing the WebSocket upgrade");
                    }

                    continue;
                }

                request = WebSocketHandshake.Parse(head.Value, out string? error, out string? response);
                if (request is null)
                {
                    await RespondAsync(output, WebSocketHandshake.ErrorResponse(response!)).ConfigureAwait(false);
                    return Fail("bad WebSocket upgrade: " + error);
                }
            }
            finally
            {
                input.AdvanceTo(consumed, buffer.End);
            }
        }

        (string path, Dictionary<string, string> query) = WebSocketHandshake.SplitTarget(request.Path);
        if (Options.Path is { } expected && path != expected)
        {
            await RespondAsync(output, WebSocketHandshake.ErrorResponse("404 Not Found")).ConfigureAwait(false);
            return Fail($"path {path} is not served by listener {Name}");
        }

        string? origin = request.Header("Origin");
        if (Options.AllowedOrigins.Count > 0 && (origin is null || !Options.AllowedOrigins.Contains(origin, StringComparer.OrdinalIgnoreCase)))
        {
            await RespondAsync(output, WebSocketHandshake.ErrorResponse("403 Forbidden")).ConfigureAwait(false);
            return Fail($"origin '{origin}' is not in AllowedOrigins of listener {Name}");
        }

        string? subProtocol = null;
        if (Options.SubProtocols.Count > 0 && request.Header("Sec-WebSocket-Protocol") is { } offered)
        {
            string[] offers = offered.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            subProtocol = Options.SubProtocols.FirstOrDefault(p => offers.Contains(p, StringComparer.Ordinal));
        }

        var handshake = new ClientHandshake
        {
            Listener = Name,
            Transport = Transport,
            RemoteEndPoint = connection.Remote,
            Path = path,
            Query = query,
            Headers = request.Headers,
            Cookies = HttpHeaders.ParseCookies(request.Header("Cookie")),
            SubProtocol = subProtocol,
        };

        HandshakeDecision decision = await AuthorizeAsync(authorizer, handshake, cancellationToken).ConfigureAwait(false);
        if (!decision.Accepted)
        {
            await RespondAsync(output, WebSocketHandshake.ErrorResponse($"{decision.Status} {WebSocketHandshake.ReasonPhrase(decision.Status)}")).ConfigureAwait(false);
            return (null, decision, $"refused by the authorizer with {decision.Status}: {decision.Reason}");
        }

        // The 101 goes into the connection's writer unflushed: the acceptor flushes it once the client is in the tables,
        // so a client that sees its upgrade complete is already reached by every send and broadcast that follows (and a
        // broadcast that races the join queues behind the 101, never before it).
        if (connection.Writer.TryWrite(WebSocketHandshake.AcceptResponse(request.Header("Sec-WebSocket-Key")!, subProtocol), ReadOnlySequence<byte>.Empty, default, defer: true)
            is not (WriteResult.Deferred or WriteResult.Written))
        {
            return Fail("closed before completing the WebSocket upgrade");
        }

        return (handshake, decision, null);

        static (ClientHandshake?, HandshakeDecision, string?) Fail(string error) => (null, HandshakeDecision.Reject(400, error), error);
    }

    public override ParseResult Parse(ClientConnection connection, ref ClientReadState state, ref ReadOnlySequence<byte> buffer, IClientMessageSink sink)
    {
        int max = Gateway.MaxFrameSize;
        while (true)
        {
            int status = WebSocketFrames.TryParseHeader(buffer, max, out WebSocketFrames.Header h);
            if (status < 0)
            {
                return ParseResult.Continue;
            }

            if (status > 0)
            {
                return status == 1009
                    ? ParseResult.Error(1009, $"frame larger than MaxFrameSize ({max} bytes)")
                    : ParseResult.Error(1002, "invalid frame header (unmasked, reserved bits or opcode, or oversized control frame)");
            }

            if (buffer.Length < h.HeaderLength + h.PayloadLength)
            {
                return ParseResult.Continue;
            }

            ReadOnlySequence<byte> payload = buffer.Slice(h.HeaderLength, h.PayloadLength);
            WebSocketFrames.Unmask(payload, h.MaskKey);
            buffer = buffer.Slice(payload.End);

            ParseResult result = h.Opcode switch
            {
                WebSocketFrames.OpText or WebSocketFrames.OpBinary => OnDataFrame(connection, ref state, h, payload, sink),
                WebSocketFrames.OpContinuation => OnContinuation(connection, ref state, h, payload, sink, max),
                WebSocketFrames.OpPing => OnPing(connection, payload),
                WebSocketFrames.OpPong => ParseResult.Continue,
                _ => OnClose(connection, payload),
            };

            if (result.ShouldClose)
            {
                return result;
            }
        }
    }

    public override WriteResult Send(ClientConnection connection, in ReadOnlySequence<byte> payload, bool text, bool defer = false)
    {
        Span<byte> header = stackalloc byte[WebSocketFrames.MaxServerHeader];
        int n = WebSocketFrames.WriteHeader(header, text ? WebSocketFrames.OpText : WebSocketFrames.OpBinary, payload.Length);
        return connection.Writer.TryWrite(header[..n], payload, default, defer);
    }

    public override void WriteClose(ClientConnection connection, ushort code, string reason)
    {
        Span<byte> body = stackalloc byte[125];
        BinaryPrimitives.WriteUInt16BigEndian(body, code);
        int reasonBytes = Encoding.UTF8.GetBytes(Truncate(reason, 120), body[2..]);
        Span<byte> header = stackalloc byte[WebSocketFrames.MaxServerHeader];
        int n = WebSocketFrames.WriteHeader(header, WebSocketFrames.OpClose, 2 + reasonBytes);
        connection.Writer.TryWrite(header[..n], new ReadOnlySequence<byte>(body[..(2 + reasonBytes)].ToArray()), default);
    }

    public override void SendPing(ClientConnection connection)
    {
        Span<byte> frame = [0x80 | WebSocketFrames.OpPing, 0];
        connection.Writer.TryWrite(frame);
    }

    private static ParseResult OnDataFrame(ClientConnection connection, ref ClientReadState state, WebSocketFrames.Header h, in ReadOnlySequence<byte> payload, IClientMessageSink sink)
    {
        if (state.Fragments is not null)
        {
            return ParseResult.Error(1002, "new data frame while a fragmented message is unfinished");
        }

        bool text = h.Opcode == WebSocketFrames.OpText;
        if (!h.Fin)
        {
            state.Fragments = new PooledBufferWriter();
            state.FragmentOpcode = h.Opcode;
            state.Fragments.Write(payload);
            return ParseResult.Continue;
        }

        if (text && !Utf8Validation.IsValid(payload))
        {
            return ParseResult.Error(1007, "text message is not valid UTF-8");
        }

        sink.OnClientMessage(connection, payload, text);
        return ParseResult.Continue;
    }

    private static ParseResult OnContinuation(ClientConnection connection, ref ClientReadState state, WebSocketFrames.Header h, in ReadOnlySequence<byte> payload, IClientMessageSink sink, int max)
    {
        PooledBufferWriter? fragments = state.Fragments;
        if (fragments is null)
        {
            return ParseResult.Error(1002, "continuation frame without a message to continue");
        }

        if (fragments.WrittenCount + payload.Length > max)
        {
            return ParseResult.Error(1009, $"fragmented message larger than MaxFrameSize ({max} bytes)");
        }

        fragments.Write(payload);
        if (!h.Fin)
        {
            return ParseResult.Continue;
        }

        bool text = state.FragmentOpcode == WebSocketFrames.OpText;
        var message = new ReadOnlySequence<byte>(fragments.WrittenMemory);
        try
        {
            if (text && !Utf8Validation.IsValid(message))
            {
                return ParseResult.Error(1007, "text message is not valid UTF-8");
            }

            sink.OnClientMessage(connection, message, text);
            return ParseResult.Continue;
        }
        finally
        {
            state.Release();
        }
    }

    private static ParseResult OnPing(ClientConnection connection, in ReadOnlySequence<byte> payload)
    {
        Span<byte> header = stackalloc byte[WebSocketFrames.MaxServerHeader];
        int n = WebSocketFrames.WriteHeader(header, WebSocketFrames.OpPong, payload.Length);
        connection.Writer.TryWrite(header[..n], payload, default);
        return ParseResult.Continue;
    }

    private static ParseResult OnClose(ClientConnection connection, in ReadOnlySequence<byte> payload)
    {
        if (payload.Length == 1)
        {
            return ParseResult.Error(1002, "close frame with a 1-byte body");
        }

        ushort code = 1000;
        if (payload.Length >= 2)
        {
            Span<byte> codeBytes = stackalloc byte[2];
            payload.Slice(0, 2).CopyTo(codeBytes);
            code = BinaryPrimitives.ReadUInt16BigEndian(codeBytes);
            if (!WebSocketFrames.IsValidCloseCode(code))
            {
                return ParseResult.Error(1002, $"invalid close code {code}");
            }

            if (!Utf8Validation.IsValid(payload.Slice(2)))
            {
                return ParseResult.Error(1007, "close reason is not valid UTF-8");
            }
        }

        // The caller echoes the close with this code (RFC 6455 §5.5.1) and ends the connection.
        return new ParseResult(code, null, PeerClosed: true);
    }

    private static string Truncate(string s, int maxBytes)
    {
        if (Encoding.UTF8.GetByteCount(s) <= maxBytes)
        {
            return s;
        }

        while (s.Length > 0 && Encoding.UTF8.GetByteCount(s) > maxBytes)
        {
            s = s[..^1];
        }

        return s;
    }

    private static ValueTask<FlushResult> RespondAsync(PipeWriter output, byte[] response)
    {
        output.Write(response);
        return output.FlushAsync();
    }
}
