using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;

namespace Pipeline.Tests.Emulator;

/// <summary>What a <see cref="FaultProxy"/> rule does to a request it matches.</summary>
internal enum FaultKind
{
    /// <summary>Answer HTTP 500 with an AWS error body (S3 <c>InternalError</c>, SQS <c>InternalError</c>) without forwarding.</summary>
    InternalError,

    /// <summary>Answer HTTP 503 with an AWS error body (S3 <c>SlowDown</c>, SQS <c>ServiceUnavailable</c>) without forwarding.</summary>
    SlowDown,

    /// <summary>Forward the request, send the response headers and half of the body, then reset the connection.</summary>
    ResetMidBody,

    /// <summary>Hold the request, unforwarded, for <see cref="FaultRule.Delay"/> (beyond the client's timeout), then reset the connection.</summary>
    Delay,

    /// <summary>
    /// Hold the request, unforwarded, until the test calls <see cref="FaultRule.Release"/> (or the proxy stops), then
    /// forward it as usual: a call that is slow but succeeds.
    /// </summary>
    Hold,

    /// <summary>
    /// For an SQS batch request: forward it without its first entry and answer HTTP 200 with the emulator's results for
    /// the others and that entry in <c>Failed</c> as SQS's own fault (<c>InternalError</c>, sender fault false).
    /// </summary>
    BatchEntryFailed,

    /// <summary>As <see cref="BatchEntryFailed"/>, with the entry refused as <c>ReceiptHandleIsInvalid</c> (sender fault true).</summary>
    BatchEntryInvalidReceipt,
}

/// <summary>One request as the proxy sees it, for rule predicates.</summary>
/// <remarks><paramref name="Body"/> is the JSON body of SQS requests (buffered, they are small); null for S3.</remarks>
internal sealed record ProxiedRequest(string Method, string Path, string Query, string? Target, string? Body)
{
    /// <summary>The SQS action of a JSON-protocol request (<c>X-Amz-Target: AmazonSQS.ReceiveMessage</c>), or null.</summary>
    public string? SqsAction => Target is { } t && t.StartsWith("AmazonSQS.", StringComparison.Ordinal) ? t["AmazonSQS.".Length..] : null;

    /// <summary>True for a path-style S3 request on an object (<c>/bucket/key…</c>), not on a bucket.</summary>
    public bool IsS3Object => Target is null && Path.IndexOf('/', 1) is var slash && slash > 0 && slash < Path.Length - 1;

    public bool IsS3GetObject => IsS3Object && Method == "GET";

    public bool IsS3PutObject => IsS3Object && Method == "PUT";

    public bool IsSqs(string action) => SqsAction == action;
}

/// <summary>A fault rule: which requests, what to do, how often; counts what it injected.</summary>
internal sealed class FaultRule
{
    private readonly TaskCompletionSource _holding = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _remaining;
    private int _injected;

    internal FaultRule(string name, Func<ProxiedRequest, bool> match, FaultKind kind, int count, double probability, TimeSpan delay)
    {
        Name = name;
        Match = match;
        Kind = kind;
        _remaining = count;
        Probability = probability;
        Delay = delay;
    }

    public string Name { get; }

    public Func<ProxiedRequest, bool> Match { get; }

    public FaultKind Kind { get; }

    /// <summary>For count-less rules: the chance of injecting on each matching request (drawn from the proxy's seeded random).</summary>
    public double Probability { get; }

    public TimeSpan Delay { get; }

    /// <summary>How many faults this rule injected so far.</summary>
    public int Injected => Volatile.Read(ref _injected);

    /// <summary>Whether the rule is switched on; a test can turn it off mid-run.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>For <see cref="FaultKind.Hold"/>: completes when the rule holds its first request.</summary>
    public Task Holding => _holding.Task;

    /// <summary>For <see cref="FaultKind.Hold"/>: lets the requests held so far (and any later ones) through.</summary>
    public void Release() => _released.TrySetResult();

    internal async Task HoldAsync(CancellationToken cancellationToken)
    {
        _holding.TrySetResult();
        await _released.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Claims one injection: the count is spent atomically so concurrent requests never overshoot it.</summary>
    internal bool TryClaim(Func<double> random)
    {
        if (!Enabled)
        {
            return false;
        }

        if (Probability > 0)
        {
            if (random() >= Probability)
            {
                return false;
            }
        }
        else
        {
            int left;
            do
            {
                left = Volatile.Read(ref _remaining);
                if (left <= 0)
                {
                    return false;
                }
            }
            while (Interlocked.CompareExchange(ref _remaining, left - 1, left) != left);
        }

        Interlocked.Increment(ref _injected);
        return true;
    }

    public override string ToString() => $"{Name}: {Kind}, injected {Injected}";
}

/// <summary>
/// A reverse proxy in front of the emulator that injects faults: AWS-style 500/503 errors, connections reset in the
/// middle of a response body, requests held past the client's timeout, and requests held until the test releases them. Tests point the worker's SDK clients at
/// <see cref="Url"/> and add <see cref="FaultRule"/>s while the worker runs; every other request is forwarded
/// unchanged (method, path and query as sent, headers, body streamed both ways).
/// </summary>
internal sealed class FaultProxy : IAsyncDisposable
{
    private static readonly HashSet<string> HopByHop = new(StringComparer.OrdinalIgnoreCase)
    {
        "Host", "Connection", "Keep-Alive", "Proxy-Connection", "Proxy-Authenticate", "Proxy-Authorization", "TE", "Trailer",
        "Transfer-Encoding", "Upgrade", "Expect",
    };

    private readonly HttpListener _listener = new();
    private readonly HttpClient _upstream;
    private readonly Uri _target;
    private readonly List<FaultRule> _rules = [];
    private readonly Random _random;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly List<Task> _handlers = [];
    private readonly ConcurrentDictionary<string, int> _sqsRequests = new(StringComparer.Ordinal);
    private int _forwarded;

    public FaultProxy(string targetUrl, int seed = 12345)
    {
        _target = new Uri(targetUrl.TrimEnd('/') + "/");
        _random = new Random(seed);
        _upstream = new HttpClient(new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseProxy = false,
        })
        { Timeout = Timeout.InfiniteTimeSpan };

        // HttpListener takes a fixed port: pick a free one and retry on the rare race with another process.
        for (var tries = 0; ; tries++)
        {
            var port = FreePort();
            _listener.Prefixes.Clear();
            _listener.Prefixes.Add($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}/");
            try
            {
                _listener.Start();
                Url = $"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}";
                break;
            }
            catch (HttpListenerException) when (tries < 5)
            {
            }
        }

        _loop = AcceptLoopAsync();
    }

    /// <summary>The proxy's endpoint, <c>http://127.0.0.1:&lt;port&gt;</c>, to use as the clients' ServiceURL.</summary>
    public string Url { get; } = string.Empty;

    /// <summary>Requests forwarded to the emulator (faults that answer without forwarding are not counted).</summary>
    public int Forwarded => Volatile.Read(ref _forwarded);

    /// <summary>SQS requests of one action the proxy received, whether forwarded or answered with a fault.</summary>
    public int Requests(string sqsAction) => _sqsRequests.GetValueOrDefault(sqsAction);

    /// <summary>Adds a rule that fires on the first <paramref name="count"/> matching requests.</summary>
    public FaultRule Fail(string name, Func<ProxiedRequest, bool> match, FaultKind kind, int count, TimeSpan? delay = null) =>
        Add(new FaultRule(name, match, kind, count, 0, delay ?? TimeSpan.Zero));

    /// <summary>Adds a rule that fires on each matching request with the given probability (seeded, so runs repeat).</summary>
    public FaultRule FailSometimes(string name, Func<ProxiedRequest, bool> match, FaultKind kind, double probability, TimeSpan? delay = null) =>
        Add(new FaultRule(name, match, kind, 0, probability, delay ?? TimeSpan.Zero));

    public string Describe()
    {
        lock (_rules)
        {
            return string.Join("; ", _rules);
        }
    }

    private FaultRule Add(FaultRule rule)
    {
        lock (_rules)
        {
            _rules.Add(rule);
        }

        return rule;
    }

    private double NextRandom()
    {
        lock (_random)
        {
            return _random.NextDouble();
        }
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            var handler = Task.Run(() => HandleAsync(context));
            lock (_handlers)
            {
                _handlers.RemoveAll(t => t.IsCompleted);
                _handlers.Add(handler);
            }
        }
    }

    private async Task HandleAsync(HttpListenerContext context)
    {
        var request = context.Request;
        var response = context.Response;
        try
        {
            var rawUrl = request.RawUrl ?? "/";
            var q = rawUrl.IndexOf('?', StringComparison.Ordinal);
            var target = request.Headers["X-Amz-Target"];
            byte[]? buffered = null;
            if (target is not null && request.HasEntityBody)
            {
                using var copy = new MemoryStream();
                await request.InputStream.CopyToAsync(copy, _stop.Token).ConfigureAwait(false);
                buffered = copy.ToArray();
            }

            var info = new ProxiedRequest(request.HttpMethod, q < 0 ? rawUrl : rawUrl[..q], q < 0 ? string.Empty : rawUrl[(q + 1)..], target, buffered is null ? null : Encoding.UTF8.GetString(buffered));
            if (info.SqsAction is { } action)
            {
                _sqsRequests.AddOrUpdate(action, 1, (_, n) => n + 1);
            }

            FaultRule? fault = null;
            lock (_rules)
            {
                fault = _rules.FirstOrDefault(r => r.Match(info) && r.TryClaim(NextRandom));
            }

            switch (fault?.Kind)
            {
                case FaultKind.InternalError or FaultKind.SlowDown:
                    await DrainAsync(request.InputStream).ConfigureAwait(false);
                    await WriteErrorAsync(response, info, fault.Kind).ConfigureAwait(false);
                    return;
                case FaultKind.Delay:
                    await DrainAsync(request.InputStream).ConfigureAwait(false);
                    await Task.Delay(fault.Delay, _stop.Token).ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
                    response.Abort();
                    return;
                case FaultKind.Hold:
                    await fault.HoldAsync(_stop.Token).ConfigureAwait(false);
                    break;
            }

            JsonNode? failedEntry = null;
            if (fault?.Kind is FaultKind.BatchEntryFailed or FaultKind.BatchEntryInvalidReceipt && info.Body is not null)
            {
                var batch = JsonNode.Parse(info.Body)!.AsObject();
                var entries = batch["Entries"]!.AsArray();
                failedEntry = FailedEntry(entries[0]!["Id"]!.GetValue<string>(), fault.Kind);
                entries.RemoveAt(0);
                if (entries.Count == 0)
                {
                    await WriteBatchResultAsync(response, new JsonObject { ["Successful"] = new JsonArray(), ["Failed"] = new JsonArray(failedEntry) }).ConfigureAwait(false);
                    return;
                }

                buffered = Encoding.UTF8.GetBytes(batch.ToJsonString());
            }

            using var forward = new HttpRequestMessage(new HttpMethod(request.HttpMethod), new Uri(_target, rawUrl.TrimStart('/')));
            var hasBody = request.HasEntityBody;
            if (buffered is not null)
            {
                forward.Content = new ByteArrayContent(buffered);
            }
            else if (hasBody)
            {
                forward.Content = new StreamContent(request.InputStream);
            }

            foreach (var name in request.Headers.AllKeys)
            {
                if (name is null || HopByHop.Contains(name) || (buffered is not null && name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase)))
                {
                    continue;
                }

                var values = request.Headers.GetValues(name) ?? [];
                if (!forward.Headers.TryAddWithoutValidation(name, values) && forward.Content is not null)
                {
                    forward.Content.Headers.TryAddWithoutValidation(name, values);
                }
            }

            using var upstream = await _upstream.SendAsync(forward, HttpCompletionOption.ResponseHeadersRead, _stop.Token).ConfigureAwait(false);
            Interlocked.Increment(ref _forwarded);
            if (failedEntry is not null && upstream.IsSuccessStatusCode)
            {
                var result = JsonNode.Parse(await upstream.Content.ReadAsStringAsync(_stop.Token).ConfigureAwait(false))!.AsObject();
                if (result["Failed"] is not JsonArray failed)
                {
                    result["Failed"] = failed = [];
                }

                failed.Add(failedEntry);
                await WriteBatchResultAsync(response, result).ConfigureAwait(false);
                return;
            }

            response.StatusCode = (int)upstream.StatusCode;
            foreach (var header in upstream.Headers.Concat(upstream.Content.Headers))
            {
                if (HopByHop.Contains(header.Key) || header.Key.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
                {
                    continue;
                }

                foreach (var value in header.Value)
                {
                    try
                    {
                        response.Headers.Add(header.Key, value);
                    }
                    catch (ArgumentException)
                    {
                        // A header HttpListener manages itself.
                    }
                }
            }

            if (fault?.Kind == FaultKind.ResetMidBody)
            {
                var body = await upstream.Content.ReadAsByteArrayAsync(_stop.Token).ConfigureAwait(false);
                response.ContentLength64 = body.Length;
                await response.OutputStream.WriteAsync(body.AsMemory(0, body.Length / 2), _stop.Token).ConfigureAwait(false);
                await response.OutputStream.FlushAsync(_stop.Token).ConfigureAwait(false);
                response.Abort();
                return;
            }

            if (upstream.Content.Headers.ContentLength is { } length)
            {
                response.ContentLength64 = length;
            }
            else
            {
                response.SendChunked = true;
            }

            await using (var stream = await upstream.Content.ReadAsStreamAsync(_stop.Token).ConfigureAwait(false))
            {
                await stream.CopyToAsync(response.OutputStream, _stop.Token).ConfigureAwait(false);
            }

            response.Close();
        }
        catch (Exception e) when (e is HttpListenerException or IOException or HttpRequestException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
        {
            // The client went away, the emulator refused, or we are stopping: drop the connection.
            try
            {
                response.Abort();
            }
            catch (ObjectDisposedException)
            {
            }
        }
    }

    private static async Task DrainAsync(Stream body)
    {
        var buffer = new byte[16384];
        while (await body.ReadAsync(buffer).ConfigureAwait(false) > 0)
        {
        }
    }

    private static JsonObject FailedEntry(string id, FaultKind kind) => kind == FaultKind.BatchEntryInvalidReceipt
        ? new JsonObject { ["Id"] = id, ["Code"] = "ReceiptHandleIsInvalid", ["Message"] = "injected by FaultProxy", ["SenderFault"] = true }
        : new JsonObject { ["Id"] = id, ["Code"] = "InternalError", ["Message"] = "injected by FaultProxy", ["SenderFault"] = false };

    private static async Task WriteBatchResultAsync(HttpListenerResponse response, JsonObject result)
    {
        var bytes = Encoding.UTF8.GetBytes(result.ToJsonString());
        response.StatusCode = 200;
        response.ContentType = "application/x-amz-json-1.0";
        response.Headers.Add("x-amzn-RequestId", "FAULTPROXY");
        response.ContentLength64 = bytes.Length;
        await response.OutputStream.WriteAsync(bytes).ConfigureAwait(false);
        response.Close();
    }

    private static async Task WriteErrorAsync(HttpListenerResponse response, ProxiedRequest info, FaultKind kind)
    {
        var status = kind == FaultKind.SlowDown ? 503 : 500;
        string body;
        if (info.SqsAction is not null)
        {
            var code = kind == FaultKind.SlowDown ? "ServiceUnavailable" : "InternalError";
            body = $$"""{"__type":"com.amazonaws.sqs#{{code}}","message":"injected by FaultProxy"}""";
            response.ContentType = "application/x-amz-json-1.0";
            response.Headers.Add("x-amzn-query-error", code + ";Receiver");
        }
        else
        {
            var code = kind == FaultKind.SlowDown ? "SlowDown" : "InternalError";
            var message = kind == FaultKind.SlowDown ? "Please reduce your request rate." : "We encountered an internal error. Please try again.";
            body = $"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{code}</Code><Message>{message}</Message><RequestId>FAULTPROXY</RequestId></Error>";
            response.ContentType = "application/xml";
        }

        response.Headers.Add("x-amzn-RequestId", "FAULTPROXY");
        response.StatusCode = status;
        var bytes = Encoding.UTF8.GetBytes(body);
        response.ContentLength64 = bytes.Length;
        await response.OutputStream.WriteAsync(bytes).ConfigureAwait(false);
        response.Close();
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Stop();
        _listener.Close();
        await _loop.ConfigureAwait(false);
        Task[] handlers;
        lock (_handlers)
        {
            handlers = [.. _handlers];
        }

        await Task.WhenAll(handlers).WaitAsync(TimeSpan.FromSeconds(5)).ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
        _upstream.Dispose();
        _stop.Dispose();
    }
}
