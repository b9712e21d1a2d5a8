using System.Diagnostics.Metrics;

namespace Pipeline.Ingest.Worker;

/// <summary>
/// Worker counters on <see cref="System.Diagnostics.Metrics"/> (meter <c>Pipeline.Worker</c>), modelled on the
/// ones Filebeat's S3 input publishes, so dashboards built for it translate. Read them with dotnet-counters or
/// OpenTelemetry.
/// </summary>
internal sealed class WorkerMetrics : IDisposable
{
    public const string MeterName = "Pipeline.Worker";
    private readonly Meter _meter = new(MeterName);

    // Running totals for the shutdown summary: the instruments above can only be observed by a listener.
    private long _received;
    private long _deleted;
    private long _returned;
    private long _extensions;
    private long _objectsRead;
    private long _objectsSkipped;
    private long _bytesRead;
    private long _kmsRows;

    public WorkerMetrics()
    {
        MessagesReceived = _meter.CreateCounter<long>("pipeline.sqs.messages.received", description: "SQS messages received");
        MessagesDeleted = _meter.CreateCounter<long>("pipeline.sqs.messages.deleted", description: "SQS messages deleted after their rows were published");
        MessagesReturned = _meter.CreateCounter<long>("pipeline.sqs.messages.returned", description: "SQS messages left or released to the queue (failure, poison, shutdown)");
        VisibilityExtensions = _meter.CreateCounter<long>("pipeline.sqs.visibility.extensions", description: "visibility timeout extensions");
        Objects = _meter.CreateCounter<long>("pipeline.s3.objects", description: "objects by outcome (tag outcome)");
        BytesRead = _meter.CreateCounter<long>("pipeline.s3.bytes", unit: "By", description: "object bytes read from S3 (compressed)");
        KmsRows = _meter.CreateCounter<long>("pipeline.kms.rows", description: "KMS rows handed to the sink");
        Lag = _meter.CreateHistogram<double>("pipeline.sqs.lag", unit: "s", description: "time from SentTimestamp to first receive");
        ObjectDuration = _meter.CreateHistogram<double>("pipeline.s3.object.duration", unit: "s", description: "time to read one object");
        PublishLatency = _meter.CreateHistogram<double>("pipeline.publish.latency", unit: "s", description: "time from an object's last row read to its rows being published");
    }

    public Counter<long> MessagesReceived { get; }

    public Counter<long> MessagesDeleted { get; }

    public Counter<long> MessagesReturned { get; }

    public Counter<long> VisibilityExtensions { get; }

    public Counter<long> Objects { get; }

    public Counter<long> BytesRead { get; }

    public Counter<long> KmsRows { get; }

    public Histogram<double> Lag { get; }

    public Histogram<double> ObjectDuration { get; }

    public Histogram<double> PublishLatency { get; }

    /// <summary>What this worker has done since it started, for its shutdown summary.</summary>
    public WorkerTotals Totals => new(
        Interlocked.Read(ref _received),
        Interlocked.Read(ref _deleted),
        Interlocked.Read(ref _returned),
        Interlocked.Read(ref _extensions),
        Interlocked.Read(ref _objectsRead),
        Interlocked.Read(ref _bytesRead),
        Interlocked.Read(ref _kmsRows),
        Interlocked.Read(ref _objectsSkipped));

    public void MessageReceived() => CountOne(MessagesReceived, ref _received);

    public void MessageDeleted() => CountOne(MessagesDeleted, ref _deleted);

    public void MessageReturned() => CountOne(MessagesReturned, ref _returned);

    public void VisibilityExtended() => CountOne(VisibilityExtensions, ref _extensions);

    /// <summary>An object read to the end and handed to the sink.</summary>
    /// <summary>A notified object that is not a CloudTrail log file (a digest, an Insights file, anything else), passed over unread.</summary>
    public void ObjectSkipped()
    {
        Interlocked.Increment(ref _objectsSkipped);
        Objects.Add(1, new KeyValuePair<string, object?>("outcome", "not_a_log_file"));
    }

    public void ObjectRead(long compressedBytes, long kmsRows, TimeSpan elapsed)
    {
        Objects.Add(1, new KeyValuePair<string, object?>("outcome", "read"));
        BytesRead.Add(compressedBytes);
        KmsRows.Add(kmsRows);
        ObjectDuration.Record(elapsed.TotalSeconds);
        Interlocked.Increment(ref _objectsRead);
        Interlocked.Add(ref _bytesRead, compressedBytes);
        Interlocked.Add(ref _kmsRows, kmsRows);
    }

    public void Dispose() => _meter.Dispose();

    private static void CountOne(Counter<long> counter, ref long total)
    {
        counter.Add(1);
        Interlocked.Increment(ref total);
    }
}
