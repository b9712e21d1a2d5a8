namespace Pipeline.Ingest.Worker;

/// <summary>Settings of <c>pipeline worker</c> (configuration section <c>Worker</c>).</summary>
internal sealed class WorkerOptions
{
    public const string Section = "Worker";

    /// <summary>SQS long polling waits at most 20 s per receive.</summary>
    public const int MaxWaitTimeSeconds = 20;

    /// <summary>SQS returns at most 10 messages per receive.</summary>
    public const int MaxMessagesPerReceiveLimit = 10;

    /// <summary>SQS batch calls (DeleteMessageBatch, ChangeMessageVisibilityBatch) take at most 10 entries.</summary>
    public const int MaxBatchEntries = 10;

    /// <summary>SQS visibility timeouts are limited to 12 hours per receive.</summary>
    public static readonly TimeSpan MaxVisibilityTimeout = TimeSpan.FromHours(12);

    /// <summary>URL of the SQS queue that receives the notifications (required).</summary>
    public string QueueUrl { get; set; } = string.Empty;

    /// <summary>
    /// Buckets (optionally with a key prefix, <c>bucket/prefix/</c>) the worker may read from (required). A message
    /// naming anything else is refused, so a forged notification cannot make the worker fetch from elsewhere.
    /// </summary>
    public List<string> AllowedBuckets { get; set; } = [];

    /// <summary>Dataset location: a local folder or <c>s3://bucket/prefix</c> (required).</summary>
    public string Output { get; set; } = string.Empty;

    /// <summary>
    /// Messages processed at the same time (default 8). Only this many are ever received and held. More than the cores:
    /// each object spends part of its time waiting (the receive, GetObject's first byte, the socket), and the others
    /// keep the cores busy meanwhile (4 -> 8 measured 61-64 % -> 64-69 % of local-file throughput through the emulator).
    /// </summary>
    public int MaxConcurrentMessages { get; set; } = 8;

    /// <summary>Long-poll wait per receive, 0–20 s (default 20).</summary>
    public int WaitTimeSeconds { get; set; } = MaxWaitTimeSeconds;

    /// <summary>Upper bound for one receive, 1–10 (default 10); the worker asks for no more than it has free slots.</summary>
    public int MaxMessagesPerReceive { get; set; } = MaxMessagesPerReceiveLimit;

    /// <summary>Visibility timeout set on receive and renewed by the heartbeat (default 5 min, 1 s–12 h).</summary>
    public TimeSpan VisibilityTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How often in-flight messages are checked for renewal (default 30 s; less than half the visibility timeout).</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>On SIGTERM, time allowed to finish, flush and delete before the rest is released to the queue (default 30 s).</summary>
    public TimeSpan ShutdownGracePeriod { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How often the worker logs a progress line (default 1 min): totals since start, rates over the interval and
    /// messages in flight. An idle worker logs once when it becomes idle, then nothing until work arrives.
    /// </summary>
    public TimeSpan ProgressInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Longest wait between retries of a failing receive or object read (default 60 s).</summary>
    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Attempts to read one object when S3 fails transiently, including mid-body (default 4).</summary>
    public int ObjectReadAttempts { get; set; } = 4;

    /// <summary>Name of this worker in output file names; letters, digits and '_' (default: host name).</summary>
    public string WriterId { get; set; } = Sink.DatasetLayout.DefaultWriterId();

    /// <summary>
    /// The worker reports itself <c>Degraded</c> (so <c>pipeline health</c> says unhealthy) when for this long no receive
    /// has completed, no object byte has been read and no rows have been published (default 5 minutes; zero = never):
    /// a receive loop that is stuck, or reads that hang while the heartbeat keeps their messages invisible. An idle
    /// worker's long polls complete every <see cref="WaitTimeSeconds"/>, so idleness is not a stall (hence at least twice
    /// that plus 10 s).
    /// </summary>
    public TimeSpan StallTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>File the worker rewrites with its health; <c>pipeline health</c> reads it (default in the temp folder).</summary>
    public string HealthFile { get; set; } = Path.Combine(Path.GetTempPath(), "pipeline-worker.health.json");

    /// <summary>
    /// Keep the ledger in the dataset (default true): a marker per ingested object under <c>_ledger/</c>, looked up
    /// before an object is read, so a redelivered notification or an overlapping backfill is skipped by every worker,
    /// also after a restart. That is a lookup and a small write per log file: with an <c>s3://</c> dataset one GET and one
    /// PUT request each. False: each worker remembers only what it ingested itself (duplicates that reach another worker
    /// or come after a restart are stored again; <c>kms_events</c> hides them and <c>compact</c> removes them), and the
    /// report's per-account delivery check has no markers to read.
    /// </summary>
    public bool Ledger { get; set; } = true;

    /// <summary>Use path-style S3 URLs (needed by most S3 emulators and some proxies; default false).</summary>
    public bool S3ForcePathStyle { get; set; }

    /// <summary>Stop, as on SIGTERM, after taking this many messages from the queue (0 = run until stopped); for tests and batch runs.</summary>
    public int StopAfterMessages { get; set; }

    /// <summary>
    /// Stop once the queue has been empty for this long and nothing is being read (zero = never); for draining a backlog
    /// and exiting. Rows still waiting for their flush are flushed on the way out.
    /// </summary>
    public TimeSpan StopWhenIdleFor { get; set; } = TimeSpan.Zero;

}
