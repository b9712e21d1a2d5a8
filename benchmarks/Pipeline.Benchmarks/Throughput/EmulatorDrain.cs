using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Amazon.SQS;
using Amazon.SQS.Model;
using Pipeline.Ingest;
using Pipeline.Ingest.Backfill;

namespace Pipeline.Benchmarks.Throughput;

/// <summary>
/// The same archive through the worker path: the files are put into an S3 bucket of the fauxqs emulator (not timed),
/// one S3 notification per file is queued, and <c>pipeline worker</c> processes drain the queue into a local dataset.
/// The figure is the time from starting the workers to the queue holding no message (each message is deleted only
/// after its rows are published), so it includes the runtime start-up as the local ingest's wall time does.
/// </summary>
internal sealed class EmulatorDrain : IAsyncDisposable
{
    private const string Region = "us-east-1";
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    private static readonly AWSCredentials Credentials = new BasicAWSCredentials("bench", "bench");

    private readonly Process _node;
    private readonly string _serviceUrl;
    private readonly AmazonS3Client _s3;
    private readonly AmazonSQSClient _sqs;

    private EmulatorDrain(Process node, string serviceUrl)
    {
        _node = node;
        _serviceUrl = serviceUrl;
        _s3 = new AmazonS3Client(Credentials, new AmazonS3Config { ServiceURL = serviceUrl, AuthenticationRegion = Region, ForcePathStyle = true });
        _sqs = new AmazonSQSClient(Credentials, new AmazonSQSConfig { ServiceURL = serviceUrl, AuthenticationRegion = Region });
    }

    /// <summary>Starts the repo's loopback fauxqs script (needs <c>npm ci</c> at the repo root and Node.js on PATH).</summary>
    public static async Task<EmulatorDrain> StartAsync()
    {
        var root = FindRepoRoot() ?? throw new InvalidOperationException("cannot find the repo root (package.json with tests/emulator/fauxqs-loopback.mjs) above " + AppContext.BaseDirectory);
        if (!File.Exists(Path.Combine(root, "node_modules", "fauxqs", "package.json")))
        {
            throw new InvalidOperationException($"the fauxqs emulator is not installed: run `npm ci` in {root}");
        }

        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = root,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(root, "tests", "emulator", "fauxqs-loopback.mjs"));
        var node = Process.Start(start) ?? throw new InvalidOperationException("cannot start node");
        var line = await node.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        if (line is null)
        {
            throw new InvalidOperationException("fauxqs exited at start: " + await node.StandardError.ReadToEndAsync().ConfigureAwait(false));
        }

        using var ready = JsonDocument.Parse(line);
        var port = ready.RootElement.GetProperty("port").GetInt32();
        return new EmulatorDrain(node, string.Create(Inv, $"http://127.0.0.1:{port}"));
    }

    /// <summary>
    /// Uploads every log file under its archive-relative key and queues one S3 ObjectCreated notification each, or with
    /// <paramref name="keysPerMessage"/> &gt; 0 the messages <c>pipeline backfill</c> sends (CloudTrail's notification
    /// format, that many keys each).
    /// </summary>
    public async Task<(string QueueUrl, string Bucket)> LoadAsync(string input, IReadOnlyList<LocalSource> files, int keysPerMessage = 0)
    {
        const string bucket = "bench-trail";
        await _s3.PutBucketAsync(new PutBucketRequest { BucketName = bucket }).ConfigureAwait(false);
        var queue = await _sqs.CreateQueueAsync(new CreateQueueRequest
        {
            QueueName = "bench-notifications",
            Attributes = new Dictionary<string, string> { ["VisibilityTimeout"] = "120" },
        }).ConfigureAwait(false);

        var root = Directory.Exists(input) ? input : Path.GetDirectoryName(input)!;
        var bodies = new string[files.Count];
        var keys = new string[files.Count];
        var clock = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, files.Count), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, ct) =>
        {
            var key = Path.GetRelativePath(root, files[i].Path).Replace('\\', '/');
            var put = await _s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = key, FilePath = files[i].Path }, ct).ConfigureAwait(false);
            bodies[i] = Notification(bucket, key, files[i].Length, put.ETag.Trim('"'));
            keys[i] = key;
        }).ConfigureAwait(false);
        var messages = keysPerMessage > 0 ? keys.Chunk(keysPerMessage).Select(k => BackfillEnqueuer.MessageBody(bucket, k)).ToArray() : bodies;
        foreach (var chunk in messages.Chunk(10))
        {
            var response = await _sqs.SendMessageBatchAsync(new SendMessageBatchRequest
            {
                QueueUrl = queue.QueueUrl,
                Entries = chunk.Select((b, i) => new SendMessageBatchRequestEntry(i.ToString(Inv), b)).ToList(),
            }).ConfigureAwait(false);
            if (response.Failed is { Count: > 0 })
            {
                throw new InvalidOperationException("SendMessageBatch refused entries: " + response.Failed[0].Message);
            }
        }

        // Warm the emulator's own GetObject, ReceiveMessage and DeleteMessage paths (node compiles its code on first use
        // too): what is timed is the worker, against a service that is already running, as S3 and SQS are.
        var scratch = await _sqs.CreateQueueAsync("bench-warm-up").ConfigureAwait(false);
        for (var i = 0; i < Math.Min(files.Count, 16); i++)
        {
            var key = Path.GetRelativePath(root, files[i].Path).Replace('\\', '/');
            using var get = await _s3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = key, ByteRange = new ByteRange("bytes=0-") }).ConfigureAwait(false);
            await get.ResponseStream.CopyToAsync(Stream.Null).ConfigureAwait(false);
            await _sqs.SendMessageAsync(scratch.QueueUrl, bodies[i]).ConfigureAwait(false);
            var got = await _sqs.ReceiveMessageAsync(new ReceiveMessageRequest { QueueUrl = scratch.QueueUrl, MaxNumberOfMessages = 10 }).ConfigureAwait(false);
            foreach (var m in got.Messages ?? [])
            {
                await _sqs.DeleteMessageBatchAsync(scratch.QueueUrl, [new DeleteMessageBatchRequestEntry("0", m.ReceiptHandle)]).ConfigureAwait(false);
            }
        }

        Console.Error.WriteLine(string.Create(Inv, $"emulator: {files.Count} objects uploaded, {messages.Length} messages queued{(keysPerMessage > 0 ? $" ({keysPerMessage} keys each, as pipeline backfill sends them)" : "")}, emulator warmed up, in {clock.Elapsed.TotalSeconds:F1} s (not timed)"));
        return (queue.QueueUrl, bucket);
    }

    /// <summary>
    /// Runs <paramref name="workers"/> <c>pipeline worker</c> processes until the queue is empty and they stop on their
    /// own (idle), each under <c>/usr/bin/time</c> when present. Returns the time to an empty queue, the workers'
    /// summed CPU, their largest peak RSS, the KMS rows they read, and the emulator's CPU over the same span.
    /// </summary>
    public async Task<DrainFigures> DrainAsync(string pipelineDll, string queueUrl, string bucket, string output, string work, int workers, IReadOnlyList<KeyValuePair<string, string>> extraSettings, bool timeline)
    {
        const string timeBinary = "/usr/bin/time";
        var useTime = File.Exists(timeBinary);
        if (!useTime)
        {
            Console.Error.WriteLine($"{timeBinary} is missing (Debian package 'time'): the workers' CPU and peak RSS are reported as 0");
        }
        var nodeCpuBefore = NodeCpuSeconds();
        var startedAt = DateTime.UtcNow;
        var clock = Stopwatch.StartNew();
        var running = new List<(Process Process, string TimeFile, Task<string> Stdout, Task<string> Stderr)>();
        for (var i = 0; i < workers; i++)
        {
            var timeFile = Path.Combine(work, $"worker{i}.time");
            var psi = new ProcessStartInfo(useTime ? timeBinary : "dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in (useTime ? new[] { "-f", "%e %U %S %M", "-o", timeFile, "dotnet" } : []).Concat([pipelineDll, "worker"]))
            {
                psi.ArgumentList.Add(a);
            }

            foreach (var name in psi.Environment.Keys.Where(k => k.StartsWith("AWS_", StringComparison.Ordinal) || k.StartsWith("Worker__", StringComparison.Ordinal) || k.StartsWith("Sink__", StringComparison.Ordinal)).ToList())
            {
                psi.Environment.Remove(name);
            }

            var settings = new Dictionary<string, string>
            {
                ["AWS_ENDPOINT_URL"] = _serviceUrl,
                ["AWS_REGION"] = Region,
                ["AWS_ACCESS_KEY_ID"] = "bench",
                ["AWS_SECRET_ACCESS_KEY"] = "bench",
                ["DOTNET_TieredCompilation"] = "0",
                ["Worker__QueueUrl"] = queueUrl,
                ["Worker__AllowedBuckets__0"] = bucket,
                ["Worker__Output"] = output,
                ["Worker__WriterId"] = string.Create(Inv, $"bench{i + 1}"),
                ["Worker__HealthFile"] = Path.Combine(work, $"worker{i}.health.json"),
                // Short polls and a 50 ms idle stop: once the queue is empty the worker stops at once, and its shutdown
                // publishes the last partial batch and deletes its messages (as a SIGTERM would), so the drain's end is
                // not an artefact of the long poll or of the 5-minute Sink:FlushAge. Every other flush is by size.
                ["Worker__WaitTimeSeconds"] = "0",
                ["Worker__StopWhenIdleFor"] = "00:00:00.05",
                ["Logging__LogLevel__Default"] = "Information",

                // One line per object read (time, compressed bytes): the steady-state rate between the first and the last.
                ["Logging__LogLevel__Pipeline.Ingest.Worker.S3ObjectIngestor"] = "Debug",
            };
            foreach (var (name, value) in settings)
            {
                psi.Environment[name] = value;
            }

            // --worker-setting overrides, e.g. Worker:MaxConcurrentMessages=8 (or any environment variable of the child).
            foreach (var (name, value) in extraSettings)
            {
                psi.Environment[name.Replace(":", "__", StringComparison.Ordinal)] = value;
            }

            if (timeline)
            {
                Console.Error.WriteLine(string.Create(Inv, $"worker {i + 1} started at {DateTime.UtcNow:HH:mm:ss.fff}"));
            }

            var process = Process.Start(psi) ?? throw new InvalidOperationException("cannot start pipeline worker");
            running.Add((process, timeFile, process.StandardOutput.ReadToEndAsync(), process.StandardError.ReadToEndAsync()));
        }

        // Empty = no visible and no in-flight message: every message was deleted, i.e. its rows were published.
        TimeSpan? drained = null;
        var cpuTrace = new StringBuilder();
        var lastCpu = 0.0;
        var lastSample = TimeSpan.Zero;
        while (running.Any(r => !r.Process.HasExited))
        {
            if (drained is null && await MessagesLeftAsync(queueUrl).ConfigureAwait(false) == 0)
            {
                drained = clock.Elapsed;
                if (timeline)
                {
                    Console.Error.WriteLine(string.Create(Inv, $"queue empty at {DateTime.UtcNow:HH:mm:ss.fff}"));
                }

            }

            if (timeline && clock.Elapsed - lastSample >= TimeSpan.FromMilliseconds(100))
            {
                var now = running.Sum(r => TreeCpuSeconds(r.Process.Id));
                cpuTrace.Append(string.Create(Inv, $"{(now - lastCpu) / (clock.Elapsed - lastSample).TotalSeconds * 100:F0} "));
                lastCpu = now;
                lastSample = clock.Elapsed;
            }

            await Task.Delay(50).ConfigureAwait(false);
        }

        if (timeline)
        {
            Console.Error.WriteLine("worker CPU % per ~100 ms: " + cpuTrace);
        }

        var nodeCpu = NodeCpuSeconds() - nodeCpuBefore;
        double cpu = 0;
        long peakKb = 0;
        long rows = 0;
        var reads = new List<(DateTime At, long Bytes)>();
        var failed = new StringBuilder();
        foreach (var (process, timeFile, stdoutTask, stderrTask) in running)
        {
            await process.WaitForExitAsync().ConfigureAwait(false);
            var text = await stdoutTask.ConfigureAwait(false) + "\n" + await stderrTask.ConfigureAwait(false);
            await File.WriteAllTextAsync(Path.ChangeExtension(timeFile, ".log"), text).ConfigureAwait(false);
            if (process.ExitCode != 0)
            {
                failed.AppendLine(string.Create(Inv, $"worker exited with {process.ExitCode}:\n{text[^Math.Min(text.Length, 4000)..]}"));
            }

            rows += TotalsNumber(text, "KMS rows");
            reads.AddRange(ObjectReads(text));
            if (useTime && File.Exists(timeFile))
            {
                var t = File.ReadAllText(timeFile).Trim().Split('\n')[^1].Split(' ');
                cpu += double.Parse(t[1], Inv) + double.Parse(t[2], Inv);
                peakKb = Math.Max(peakKb, long.Parse(t[3], Inv));
            }

            process.Dispose();
        }

        if (failed.Length > 0)
        {
            Console.Error.WriteLine(failed.ToString());
        }

        var left = await MessagesLeftAsync(queueUrl).ConfigureAwait(false);
        return new DrainFigures(drained ?? clock.Elapsed, cpu, peakKb, rows, nodeCpu, failed.Length == 0 && left == 0, left, SteadyState(reads), reads.Count > 0 ? reads.Min(r => r.At) - startedAt : TimeSpan.Zero);
    }

    public async ValueTask DisposeAsync()
    {
        _s3.Dispose();
        _sqs.Dispose();
        try
        {
            _node.StandardInput.Close();
            if (!_node.WaitForExit(5000))
            {
                _node.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
        }

        await Task.CompletedTask.ConfigureAwait(false);
        _node.Dispose();
    }

    private async Task<int> MessagesLeftAsync(string queueUrl)
    {
        var attributes = await _sqs.GetQueueAttributesAsync(queueUrl, ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]).ConfigureAwait(false);
        return attributes.ApproximateNumberOfMessages + attributes.ApproximateNumberOfMessagesNotVisible;
    }

    /// <summary>CPU seconds of a process and its direct children (the worker runs under /usr/bin/time).</summary>
    private static double TreeCpuSeconds(int pid)
    {
        var total = CpuSeconds(pid);
        try
        {
            foreach (var child in File.ReadAllText($"/proc/{pid}/task/{pid}/children").Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                total += CpuSeconds(int.Parse(child, Inv));
            }
        }
        catch (IOException)
        {
        }

        return total;
    }

    private double NodeCpuSeconds() => CpuSeconds(_node.Id);

    /// <summary>utime + stime of a process from /proc (0 where there is no /proc or it is gone).</summary>
    private static double CpuSeconds(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return (long.Parse(fields[11], Inv) + long.Parse(fields[12], Inv)) / 100.0;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    /// <summary>A number from the worker's totals line, e.g. "..., 214491 KMS rows; ...".</summary>
    private static long TotalsNumber(string log, string unit)
    {
        var line = log.Split('\n').LastOrDefault(l => l.Contains(" totals: ", StringComparison.Ordinal));
        if (line is null)
        {
            return 0;
        }

        var at = line.IndexOf(" " + unit, StringComparison.Ordinal);
        var start = at;
        while (start > 0 && char.IsAsciiDigit(line[start - 1]))
        {
            start--;
        }

        return at > start ? long.Parse(line.AsSpan(start, at - start), Inv) : 0;
    }

    /// <summary>The body S3 sends to SQS for one PUT (event structure 2.1; the key URL-encoded as S3 does).</summary>
    private static string Notification(string bucket, string key, long size, string etag)
    {
        var encodedKey = WebUtility.UrlEncode(key).Replace("%2F", "/", StringComparison.Ordinal);
        var record = new Dictionary<string, object>
        {
            ["eventVersion"] = "2.1",
            ["eventSource"] = "aws:s3",
            ["awsRegion"] = Region,
            ["eventTime"] = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", Inv),
            ["eventName"] = "ObjectCreated:Put",
            ["s3"] = new Dictionary<string, object>
            {
                ["s3SchemaVersion"] = "1.0",
                ["configurationId"] = "cloudtrail-to-sqs",
                ["bucket"] = new Dictionary<string, object> { ["name"] = bucket, ["arn"] = "arn:aws:s3:::" + bucket },
                ["object"] = new Dictionary<string, object> { ["key"] = encodedKey, ["size"] = size, ["eTag"] = etag, ["sequencer"] = "0065A4F2B1C3D4E5F6" },
            },
        };
        return JsonSerializer.Serialize(new Dictionary<string, object> { ["Records"] = new[] { record } });
    }

    private static string? FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "package.json")) && File.Exists(Path.Combine(dir.FullName, "tests", "emulator", "fauxqs-loopback.mjs")))
            {
                return dir.FullName;
            }
        }

        return null;
    }

    /// <summary>
    /// Objects read after the first one, over the time from the first read's end to the last read's end: what a worker
    /// that is already running sustains (no process start, no JIT of the first calls, no final flush). Returns that time
    /// and the fraction of the compressed bytes those objects hold (the log lines give compressed sizes); zeros when
    /// there are too few reads.
    /// </summary>
    private static (double Seconds, double Fraction) SteadyState(List<(DateTime At, long Bytes)> reads)
    {
        if (reads.Count < 3)
        {
            return (0, 0);
        }

        reads.Sort((a, b) => a.At.CompareTo(b.At));
        var total = reads.Sum(r => r.Bytes);
        var after = total - reads[0].Bytes;
        return ((reads[^1].At - reads[0].At).TotalSeconds, (double)after / total);
    }

    /// <summary>The worker's per-object Debug lines (event 6010): "2026-...Z dbug: ...[6010] Message ...: 840 records, 282 KMS, 335046 bytes in 43 ms".</summary>
    private static IEnumerable<(DateTime At, long Bytes)> ObjectReads(string log)
    {
        foreach (var line in log.Split('\n'))
        {
            if (!line.Contains("[6010]", StringComparison.Ordinal))
            {
                continue;
            }

            var space = line.IndexOf(' ', StringComparison.Ordinal);
            var end = line.LastIndexOf(" bytes in ", StringComparison.Ordinal);
            var start = end > 0 ? line.LastIndexOf(' ', end - 1) + 1 : -1;
            if (space > 0 && end > start && start > 0
                && DateTime.TryParse(line.AsSpan(0, space), Inv, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var at)
                && long.TryParse(line.AsSpan(start, end - start), NumberStyles.None, Inv, out var bytes))
            {
                yield return (at, bytes);
            }
        }
    }

    internal sealed record DrainFigures(TimeSpan Drained, double WorkerCpu, long PeakKb, long Rows, double EmulatorCpu, bool Ok, int MessagesLeft, (double Seconds, double Fraction) Steady, TimeSpan FirstRead);
}
