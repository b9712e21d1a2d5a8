using Microsoft.Extensions.Options;
using Pipeline.Parsing;
using Pipeline.Sink;

namespace Pipeline.Ingest.Worker;

/// <summary>
/// Checks the worker settings against each other and against SQS limits, and reports every problem at once, each
/// naming the setting, its allowed range and its current value.
/// </summary>
internal sealed class WorkerOptionsValidator : IValidateOptions<WorkerOptions>
{
    private static readonly TimeSpan MinProgressInterval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaxProgressInterval = TimeSpan.FromDays(1);

    public ValidateOptionsResult Validate(string? name, WorkerOptions o)
    {
        var problems = new List<string>();
        const string p = WorkerOptions.Section + ":";
        if (string.IsNullOrWhiteSpace(o.QueueUrl))
        {
            problems.Add($"{p}QueueUrl is required: the URL of the SQS queue that receives the S3 notifications (env Worker__QueueUrl).");
        }
        else if (!Uri.TryCreate(o.QueueUrl, UriKind.Absolute, out var queue) || (queue.Scheme != Uri.UriSchemeHttps && queue.Scheme != Uri.UriSchemeHttp))
        {
            problems.Add($"{p}QueueUrl must be an http(s) SQS queue URL, got '{o.QueueUrl}'.");
        }

        if (o.AllowedBuckets.Count == 0)
        {
            problems.Add($"{p}AllowedBuckets is required: the trail bucket(s) the worker may read, e.g. [\"my-trail-bucket\"] or [\"my-trail-bucket/AWSLogs/o-abc123/\"] (env Worker__AllowedBuckets__0).");
        }

        foreach (var entry in o.AllowedBuckets)
        {
            if (!BucketAllowList.TryParseEntry(entry, out _, out _))
            {
                problems.Add($"{p}AllowedBuckets entry '{entry}' is not a bucket name or bucket/prefix.");
            }
        }

        if (string.IsNullOrWhiteSpace(o.Output))
        {
            problems.Add($"{p}Output is required: a local folder or s3://bucket/prefix for the Parquet dataset (env Worker__Output).");
        }
        else if (!OutputLocation.TryParse(o.Output, out _, out var outputProblem))
        {
            problems.Add($"{p}Output '{o.Output}': {outputProblem}");
        }

        Range(problems, "MaxConcurrentMessages", o.MaxConcurrentMessages, 1, 100, "messages processed at once");
        Range(problems, "WaitTimeSeconds", o.WaitTimeSeconds, 0, WorkerOptions.MaxWaitTimeSeconds, "the SQS long-poll limit");
        Range(problems, "MaxMessagesPerReceive", o.MaxMessagesPerReceive, 1, WorkerOptions.MaxMessagesPerReceiveLimit, "the SQS per-receive limit");
        Range(problems, "ObjectReadAttempts", o.ObjectReadAttempts, 1, 20, "attempts per object");
        if (o.VisibilityTimeout < TimeSpan.FromSeconds(1) || o.VisibilityTimeout > WorkerOptions.MaxVisibilityTimeout)
        {
            problems.Add($"{p}VisibilityTimeout must be between 00:00:01 and 12:00:00 (SQS limit), got {o.VisibilityTimeout}.");
        }

        if (o.HeartbeatInterval < TimeSpan.FromMilliseconds(100) || o.HeartbeatInterval * 2 > o.VisibilityTimeout)
        {
            problems.Add($"{p}HeartbeatInterval must be at least 00:00:00.1 and at most half of VisibilityTimeout ({o.VisibilityTimeout / 2}), got {o.HeartbeatInterval}.");
        }

        if (o.ShutdownGracePeriod < TimeSpan.Zero || o.ShutdownGracePeriod > TimeSpan.FromMinutes(15))
        {
            problems.Add($"{p}ShutdownGracePeriod must be between 00:00:00 and 00:15:00, got {o.ShutdownGracePeriod}.");
        }

        if (o.MaxBackoff < TimeSpan.FromMilliseconds(100) || o.MaxBackoff > TimeSpan.FromHours(1))
        {
            problems.Add($"{p}MaxBackoff must be between 00:00:00.1 and 01:00:00, got {o.MaxBackoff}.");
        }

        // PeriodicTimer takes 1 ms to ~49 days; a line more often than every second would be noise, not an overview.
        if (o.ProgressInterval < MinProgressInterval || o.ProgressInterval > MaxProgressInterval)
        {
            problems.Add($"{p}ProgressInterval must be between {MinProgressInterval} and {MaxProgressInterval} (how often a progress line is logged), got {o.ProgressInterval}.");
        }

        if (string.IsNullOrEmpty(o.WriterId) || o.WriterId.Length > 64 || !o.WriterId.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'))
        {
            problems.Add($"{p}WriterId must be 1–64 letters, digits or '_', got '{o.WriterId}'.");
        }

        // An idle worker's progress is its long polls completing: a stall timeout must outlast two of them with room to spare.
        var minStall = TimeSpan.FromSeconds(Math.Max(10, (2 * o.WaitTimeSeconds) + 10));
        if (o.StallTimeout != TimeSpan.Zero && (o.StallTimeout < minStall || o.StallTimeout > TimeSpan.FromDays(1)))
        {
            problems.Add($"{p}StallTimeout must be 00:00:00 (never) or between {minStall} (twice WaitTimeSeconds plus 10 s, at least 10 s) and 1.00:00:00 (how long without a receive, a read or a publication before the worker reports itself Degraded), got {o.StallTimeout}.");
        }

        Range(problems, "StopAfterMessages", o.StopAfterMessages, 0, int.MaxValue, "0 = never stop");
        if (o.StopWhenIdleFor < TimeSpan.Zero)
        {
            problems.Add($"{p}StopWhenIdleFor must be 00:00:00 (never stop) or a positive time, got {o.StopWhenIdleFor}.");
        }

        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }

    private static void Range(List<string> problems, string setting, int value, int min, int max, string why)
    {
        if (value < min || value > max)
        {
            problems.Add($"{WorkerOptions.Section}:{setting} must be between {min} and {max} ({why}), got {value}.");
        }
    }
}
