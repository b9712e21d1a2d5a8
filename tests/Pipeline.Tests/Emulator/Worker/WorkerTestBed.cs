using System.Globalization;
using System.Text.Json;
using Amazon.S3.Model;
using Amazon.SQS;
using Amazon.SQS.Model;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Pipeline.Ingest.Worker;
using Pipeline.Query;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Emulator.Worker;

/// <summary>
/// One test's world on the emulator: a trail bucket, a notification queue (optionally with a dead-letter queue), a
/// local dataset folder, and a way to run the real worker host against them until the queue is drained.
/// </summary>
internal sealed class WorkerTestBed : IAsyncDisposable
{
    private int _files;

    private WorkerTestBed(EmulatorFixture emulator)
    {
        Emulator = emulator;
        S3 = emulator.CreateS3Client();
        Sqs = emulator.CreateSqsClient();
        Bucket = emulator.UniqueName("trail");
        Output = Path.Combine(Path.GetTempPath(), "pipeline-worker-tests", Guid.NewGuid().ToString("N"));
    }

    public EmulatorFixture Emulator { get; }

    public Amazon.S3.AmazonS3Client S3 { get; }

    public AmazonSQSClient Sqs { get; }

    public string Bucket { get; }

    public string QueueUrl { get; private set; } = string.Empty;

    public string QueueArn { get; private set; } = string.Empty;

    public string? DeadLetterQueueUrl { get; private set; }

    public string Output { get; }

    /// <summary>The workers' default health file, next to the dataset folder (removed with it).</summary>
    public string HealthFile => Output + ".health.json";

    public CapturingLoggerProvider Logs { get; } = new();

    public static async Task<WorkerTestBed> CreateAsync(EmulatorFixture emulator, int? maxReceiveCount = null)
    {
        var bed = new WorkerTestBed(emulator);
        await bed.S3.PutBucketAsync(bed.Bucket);
        var attributes = new Dictionary<string, string>();
        if (maxReceiveCount is { } max)
        {
            var dlq = await bed.Sqs.CreateQueueAsync(emulator.UniqueName("dlq"));
            bed.DeadLetterQueueUrl = dlq.QueueUrl;
            var dlqArn = (await bed.Sqs.GetQueueAttributesAsync(dlq.QueueUrl, ["QueueArn"])).QueueARN;
            attributes["RedrivePolicy"] = JsonSerializer.Serialize(new { deadLetterTargetArn = dlqArn, maxReceiveCount = max });
        }

        var queue = await bed.Sqs.CreateQueueAsync(new CreateQueueRequest { QueueName = emulator.UniqueName("events"), Attributes = attributes });
        bed.QueueUrl = queue.QueueUrl;
        bed.QueueArn = (await bed.Sqs.GetQueueAttributesAsync(queue.QueueUrl, ["QueueArn"])).QueueARN;
        return bed;
    }

    /// <summary>Uploads a CloudTrail log file at a standard organization-trail key and returns the key.</summary>
    public async Task<string> PutLogAsync(string json, string account = "111122223333")
    {
        var n = Interlocked.Increment(ref _files);
        var key = $"AWSLogs/o-abcdef1234/{account}/CloudTrail/us-east-1/2026/01/15/{account}_CloudTrail_us-east-1_20260115T10{n % 60:D2}Z_Abcdefgh{n:D8}.json.gz";
        await PutObjectAsync(key, CloudTrailRecords.Gzip(json));
        return key;
    }

    public async Task PutObjectAsync(string key, byte[] body)
    {
        using var content = new MemoryStream(body);
        var response = await S3.PutObjectAsync(new PutObjectRequest { BucketName = Bucket, Key = key, InputStream = content });
        ETags[key] = response.ETag.Trim('"');
    }

    /// <summary>Uploads a local file, streamed from disk.</summary>
    public async Task PutFileAsync(string key, string path, CancellationToken cancellationToken = default)
    {
        var response = await S3.PutObjectAsync(new PutObjectRequest { BucketName = Bucket, Key = key, FilePath = path }, cancellationToken);
        ETags[key] = response.ETag.Trim('"');
    }

    /// <summary>ETag of every object uploaded, as S3 notifications carry it (no quotes).</summary>
    public System.Collections.Concurrent.ConcurrentDictionary<string, string> ETags { get; } = new(StringComparer.Ordinal);

    /// <summary>The exact S3 event notification S3 would send for an uploaded object (key form-encoded as S3 does).</summary>
    public string S3Event(string key) =>
        Pipeline.Tests.Ingest.NotificationParserTests.S3Event(System.Net.WebUtility.UrlEncode(key).Replace("%2F", "/", StringComparison.Ordinal), Bucket, etag: ETags[key]);

    /// <summary>The EventBridge "Object Created" event for an uploaded object.</summary>
    public string EventBridge(string key, bool withDetailType = true) =>
        Pipeline.Tests.Ingest.NotificationParserTests.EventBridge(key, withDetailType, ETags[key]).Replace("org-trail-bucket", Bucket, StringComparison.Ordinal);

    public Task<SendMessageResponse> SendAsync(string body) => Sqs.SendMessageAsync(QueueUrl, body);

    /// <summary>Sends up to 10 bodies in one SendMessageBatch; fails if SQS refuses any of them.</summary>
    public async Task SendBatchAsync(IReadOnlyList<string> bodies, CancellationToken cancellationToken = default)
    {
        var response = await Sqs.SendMessageBatchAsync(
            new SendMessageBatchRequest
            {
                QueueUrl = QueueUrl,
                Entries = bodies.Select((b, i) => new SendMessageBatchRequestEntry(i.ToString(CultureInfo.InvariantCulture), b)).ToList(),
            },
            cancellationToken);
        if (response.Failed is { Count: > 0 } failed)
        {
            throw new InvalidOperationException("SendMessageBatch refused entries: " + string.Join("; ", failed.Select(f => $"{f.Id} {f.Code} {f.Message}")));
        }
    }

    /// <summary>Settings of a worker pointed at this bed; <paramref name="overrides"/> win.</summary>
    public Dictionary<string, string?> Settings(params (string Key, string Value)[] overrides)
    {
        var settings = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
        {
            ["Worker:QueueUrl"] = QueueUrl,
            ["Worker:AllowedBuckets:0"] = Bucket,
            ["Worker:Output"] = Output,
            ["Worker:WaitTimeSeconds"] = "1",
            ["Worker:VisibilityTimeout"] = "00:00:20",
            ["Worker:HeartbeatInterval"] = "00:00:01",
            ["Worker:StopWhenIdleFor"] = "00:00:02",
            ["Worker:ShutdownGracePeriod"] = "00:00:10",
            ["Worker:MaxBackoff"] = "00:00:01",
            ["Worker:WriterId"] = "test",
            ["Worker:HealthFile"] = HealthFile,
            ["Sink:FlushAge"] = "00:00:01",
        };
        foreach (var (key, value) in overrides)
        {
            settings[key] = value;
        }

        return settings;
    }

    /// <summary>
    /// Runs the worker host in this process until it stops by itself (idle), <paramref name="stopWhen"/> completes (then
    /// it is stopped as by SIGTERM) or the timeout passes; returns its exit code.
    /// </summary>
    /// <remarks>
    /// <paramref name="sqs"/> and <paramref name="s3"/> replace the emulator clients the worker gets (for example clients
    /// that go through a <see cref="FaultProxy"/>); the caller keeps ownership and disposes them.
    /// </remarks>
    public async Task<int> RunWorkerAsync(Dictionary<string, string?>? settings = null, TimeSpan? timeout = null, Amazon.SQS.IAmazonSQS? sqs = null, Amazon.S3.IAmazonS3? s3 = null, Task? stopWhen = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings ?? Settings());
        builder.Services.AddSingleton<Amazon.SQS.IAmazonSQS>(sqs ?? Emulator.CreateSqsClient());
        builder.Services.AddSingleton<Amazon.S3.IAmazonS3>(s3 ?? Emulator.CreateS3Client());
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Debug);
        builder.Logging.AddProvider(Logs);
        builder.Services.AddPipelineWorker(builder.Configuration);
        using var host = builder.Build();
        var service = host.Services.GetRequiredService<SqsWorkerService>();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
        var run = host.RunAsync(cts.Token);
        if (stopWhen is not null)
        {
            await Task.WhenAny(stopWhen, run);
            host.Services.GetRequiredService<IHostApplicationLifetime>().StopApplication();
        }

        await run;
        Assert.False(cts.IsCancellationRequested, "the worker did not drain the queue in time; log: " + string.Join("\n", Logs.Entries.Select(e => e.Message)));
        return service.ExitCode;
    }

    public string LogText => string.Join("\n", Logs.Entries.Select(e => $"{e.EventId} {e.Level} {e.Message}"));

    public async Task<long> CountAsync(string sql = "select count(*) from kms_events")
    {
        if (!Directory.Exists(Output))
        {
            return 0;
        }

        using var q = DatasetQuery.Open(Output);
        return Convert.ToInt64(await q.QueryScalarAsync(sql, CancellationToken.None), CultureInfo.InvariantCulture);
    }

    public async Task<IReadOnlyList<string>> EventIdsAsync()
    {
        using var q = DatasetQuery.Open(Output);
        return (await q.QueryRowsAsync("select event_id from kms_events order by event_id", CancellationToken.None)).Select(r => (string)r[0]!).ToList();
    }

    /// <summary>Messages still on a queue, visible or not.</summary>
    public async Task<int> MessagesLeftAsync(string? queueUrl = null)
    {
        var a = await Sqs.GetQueueAttributesAsync(queueUrl ?? QueueUrl, ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]);
        return a.ApproximateNumberOfMessages + a.ApproximateNumberOfMessagesNotVisible;
    }

    public async ValueTask DisposeAsync()
    {
        S3.Dispose();
        Sqs.Dispose();
        try
        {
            File.Delete(HealthFile);
            Directory.Delete(Output, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        await Task.CompletedTask;
    }
}
