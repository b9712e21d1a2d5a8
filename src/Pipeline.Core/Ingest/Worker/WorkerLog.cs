using Microsoft.Extensions.Logging;
using Pipeline.Diagnostics;

namespace Pipeline.Ingest.Worker;

/// <summary>The worker's structured log catalogue (event ids 6000–6099).</summary>
internal static partial class WorkerLog
{
    [LoggerMessage(EventId = EventIds.Worker + 1, Level = LogLevel.Information, Message = "Worker {WriterId} polling {QueueUrl}; output {Output}; up to {MaxConcurrent} messages at once")]
    public static partial void Started(ILogger logger, string writerId, string queueUrl, string output, int maxConcurrent);

    [LoggerMessage(EventId = EventIds.Worker + 2, Level = LogLevel.Warning, Message = "ReceiveMessage failed: {Error}; retrying in {DelayMs:F0} ms")]
    public static partial void ReceiveFailed(ILogger logger, string error, double delayMs);

    [LoggerMessage(EventId = EventIds.Worker + 3, Level = LogLevel.Critical, Message = "Stopping: {Error}")]
    public static partial void Fatal(ILogger logger, string error);

    [LoggerMessage(EventId = EventIds.Worker + 4, Level = LogLevel.Error, Message = "Message {MessageId} (receive {ReceiveCount}) is not a notification we understand: {Reason}. Left on the queue for its redrive policy; body starts: {BodyPrefix}")]
    public static partial void Poison(ILogger logger, string messageId, string receiveCount, string reason, string bodyPrefix);

    [LoggerMessage(EventId = EventIds.Worker + 5, Level = LogLevel.Information, Message = "Message {MessageId} is an s3:TestEvent; deleted")]
    public static partial void TestEvent(ILogger logger, string messageId);

    [LoggerMessage(EventId = EventIds.Worker + 6, Level = LogLevel.Debug, Message = "Message {MessageId} names no new object ({Kind}); deleted")]
    public static partial void Ignored(ILogger logger, string messageId, string kind);

    [LoggerMessage(EventId = EventIds.Worker + 7, Level = LogLevel.Warning, Message = "Message {MessageId} names s3://{Bucket}/{Key}, which is outside Worker:AllowedBuckets; refused, not fetched. The message is left for the dead-letter queue")]
    public static partial void Refused(ILogger logger, string messageId, string bucket, string key);

    [LoggerMessage(EventId = EventIds.Worker + 8, Level = LogLevel.Debug, Message = "Message {MessageId}: s3://{Bucket}/{Key} is not a CloudTrail log file (kind: {Kind}); skipped without download")]
    public static partial void NotALogFile(ILogger logger, string messageId, string bucket, string key, string kind);

    [LoggerMessage(EventId = EventIds.Worker + 9, Level = LogLevel.Debug, Message = "Message {MessageId}: {Object} was already ingested; skipped")]
    public static partial void AlreadyIngested(ILogger logger, string messageId, string @object);

    [LoggerMessage(EventId = EventIds.Worker + 10, Level = LogLevel.Debug, Message = "Message {MessageId}: read {Object}: {Records} records, {KmsRows} KMS, {Bytes} bytes in {ElapsedMs:F0} ms")]
    public static partial void ObjectRead(ILogger logger, string messageId, string @object, long records, long kmsRows, long bytes, double elapsedMs);

    [LoggerMessage(EventId = EventIds.Worker + 28, Level = LogLevel.Warning, Message = "Message {MessageId}: {Object}: {Count} KMS records have no eventID; they are stored with event_id no-event-id:<hash of the record>")]
    public static partial void DerivedEventIds(ILogger logger, string messageId, string @object, long count);

    [LoggerMessage(EventId = EventIds.Worker + 11, Level = LogLevel.Error, Message = "Message {MessageId}: {Object} cannot be ingested: {Reason}. None of its rows were kept; the message is left on the queue (dead-letter queue after its max receive count)")]
    public static partial void ObjectFailed(ILogger logger, string messageId, string @object, string reason);

    [LoggerMessage(EventId = EventIds.Worker + 12, Level = LogLevel.Warning, Message = "Message {MessageId}: reading {Object} failed (attempt {Attempt}): {Error}; retrying in {DelayMs:F0} ms")]
    public static partial void ObjectRetry(ILogger logger, string messageId, string @object, int attempt, string error, double delayMs);

    [LoggerMessage(EventId = EventIds.Worker + 13, Level = LogLevel.Warning, Message = "Message {MessageId}: {Object} changed since the notification (ETag {ETag} no longer current); skipped, its new version has its own notification")]
    public static partial void ObjectChanged(ILogger logger, string messageId, string @object, string eTag);

    [LoggerMessage(EventId = EventIds.Worker + 14, Level = LogLevel.Warning, Message = "Message {MessageId}: delete failed: {Error}; its rows are published and recorded, so a redelivery will be skipped")]
    public static partial void DeleteFailed(ILogger logger, string messageId, string error);

    [LoggerMessage(EventId = EventIds.Worker + 15, Level = LogLevel.Warning, Message = "Message {MessageId} returned to the queue: {Reason}")]
    public static partial void Returned(ILogger logger, string messageId, string reason);

    [LoggerMessage(EventId = EventIds.Worker + 16, Level = LogLevel.Warning, Message = "Message {MessageId}: SQS refused the visibility extension ({Code}: {Detail}); another consumer may have it now, no further extensions")]
    public static partial void HeartbeatLost(ILogger logger, string messageId, string code, string detail);

    [LoggerMessage(EventId = EventIds.Worker + 17, Level = LogLevel.Warning, Message = "Visibility extension for {MessageIds} failed: {Error}; retried next tick")]
    public static partial void HeartbeatFailed(ILogger logger, string messageIds, string error);

    [LoggerMessage(EventId = EventIds.Worker + 18, Level = LogLevel.Information, Message = "Stopping: {InFlight} messages in flight, grace period {Grace}")]
    public static partial void Stopping(ILogger logger, int inFlight, TimeSpan grace);

    [LoggerMessage(EventId = EventIds.Worker + 19, Level = LogLevel.Information, Message = "Stopped: {Released} unfinished messages released to the queue")]
    public static partial void Stopped(ILogger logger, int released);

    [LoggerMessage(EventId = EventIds.Worker + 20, Level = LogLevel.Debug, Message = "Message {MessageId} done: {Objects} objects, deleted")]
    public static partial void Deleted(ILogger logger, string messageId, int objects);

    [LoggerMessage(EventId = EventIds.Worker + 21, Level = LogLevel.Error, Message = "Message {MessageId}: writing rows failed: {Error}; the message is left on the queue and will be read again")]
    public static partial void PublishFailed(ILogger logger, string messageId, string error);

    [LoggerMessage(EventId = EventIds.Worker + 22, Level = LogLevel.Error, Message = "Message {MessageId}: unexpected error; the message is returned to the queue")]
    public static partial void Unexpected(ILogger logger, Exception exception, string messageId);

    [LoggerMessage(EventId = EventIds.Worker + 23, Level = LogLevel.Error, Message = "The output cannot be written ({Failures} failures in a row); taking no messages for {DelayMs:F0} ms, then probing with one. Unwritten messages stay on the queue")]
    public static partial void OutputFailing(ILogger logger, int failures, double delayMs);

    [LoggerMessage(EventId = EventIds.Worker + 24, Level = LogLevel.Information, Message = "The output is writable again; resuming normal intake")]
    public static partial void OutputRecovered(ILogger logger);

    [LoggerMessage(EventId = EventIds.Worker + 25, Level = LogLevel.Information, Message = "Worker {WriterId} totals: {Received} messages received, {Deleted} deleted, {Returned} returned, {Extensions} visibility extensions; {Objects} objects read, {Bytes} bytes (compressed), {KmsRows} KMS rows; {Skipped} objects skipped as not CloudTrail log files; peak working set {PeakWorkingSetMb:F1} MB, {CpuSeconds:F1} s CPU")]
    public static partial void Totals(ILogger logger, string writerId, long received, long deleted, long returned, long extensions, long objects, long bytes, long kmsRows, long skipped, double peakWorkingSetMb, double cpuSeconds);

    [LoggerMessage(EventId = EventIds.Worker + 31, Level = LogLevel.Information, Message = "Message {MessageId}: s3://{Bucket}/{Key} is not named like a CloudTrail log file (AWSLogs/…/<account>_CloudTrail_<region>_<time>_<id>.json.gz); skipped unread. If it holds CloudTrail records, `pipeline ingest` reads such a file by its content")]
    public static partial void NotNamedLikeALogFile(ILogger logger, string messageId, string bucket, string key);

    [LoggerMessage(EventId = EventIds.Worker + 26, Level = LogLevel.Warning, Message = "Message {MessageId}: delete failed (attempt {Attempt}): {Error}; retrying in a later batch in {DelayMs:F0} ms")]
    public static partial void DeleteRetry(ILogger logger, string messageId, int attempt, string error, double delayMs);

    [LoggerMessage(EventId = EventIds.Worker + 27, Level = LogLevel.Information, Message = "Worker {WriterId} progress: {Received} messages received, {Deleted} deleted, {Returned} returned; {Objects} objects read, {Bytes} bytes (compressed), {KmsRows} KMS rows since start; {ObjectsPerSecond:F1} objects/s, {MegabytesPerSecond:F2} MB/s (compressed) over the last {IntervalSeconds:F0} s; {InFlight} messages in flight")]
    public static partial void Progress(ILogger logger, string writerId, long received, long deleted, long returned, long objects, long bytes, long kmsRows, double objectsPerSecond, double megabytesPerSecond, double intervalSeconds, int inFlight);

    [LoggerMessage(EventId = EventIds.Worker + 28, Level = LogLevel.Warning, Message = "The output {Output} still cannot be written ({Error}); no message taken, probing again in {DelayMs:F0} ms")]
    public static partial void OutputProbeFailed(ILogger logger, string output, string error, double delayMs);

    [LoggerMessage(EventId = EventIds.Worker + 29, Level = LogLevel.Warning, Message = "Cannot write the health file {Path}: {Error}. The worker goes on, but `pipeline health` will call it unhealthy; make the folder writable (in a read-only container, a tmpfs at /tmp) or set Worker:HealthFile")]
    public static partial void HealthFileNotWritten(ILogger logger, string path, string error);

    [LoggerMessage(EventId = EventIds.Worker + 30, Level = LogLevel.Information, Message = "The health file {Path} is written again")]
    public static partial void HealthFileWrittenAgain(ILogger logger, string path);

    [LoggerMessage(EventId = EventIds.Worker + 32, Level = LogLevel.Information, Message = "Message {MessageId}: its rows are published; deleted after the shutdown grace period cut off its first delete")]
    public static partial void DeletedAfterGrace(ILogger logger, string messageId);

    [LoggerMessage(EventId = EventIds.Worker + 33, Level = LogLevel.Information, Message = "Removed {Count} temporary files older than an hour from the dataset (left by a process that was killed while writing)")]
    public static partial void TempFilesRemoved(ILogger logger, int count);

    [LoggerMessage(EventId = EventIds.Worker + 34, Level = LogLevel.Warning, Message = "Could not look for stale temporary files in the dataset: {Error}; trying again in an hour")]
    public static partial void TempFilesNotRemoved(ILogger logger, string error);

    [LoggerMessage(EventId = EventIds.Worker + 35, Level = LogLevel.Warning, Message = "No receive has completed, no object byte been read and no rows been published for {Seconds:F0} s (Worker:StallTimeout {StallTimeout}): the worker reports itself Degraded and `pipeline health` unhealthy; if this lasts, restart it (its messages come back after their visibility timeout)")]
    public static partial void Stalled(ILogger logger, double seconds, TimeSpan stallTimeout);

    [LoggerMessage(EventId = EventIds.Worker + 36, Level = LogLevel.Information, Message = "The worker is making progress again after a stall")]
    public static partial void StallEnded(ILogger logger);

    /// <summary>A printable, bounded prefix of a message body for logs: control characters escaped, at most 200 characters.</summary>
    public static string BodyPrefix(string body)
    {
        var text = body.Length > 200 ? body[..200] + "…" : body;
        var sb = new System.Text.StringBuilder(text.Length);
        foreach (var c in text)
        {
            sb.Append(char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString());
        }

        return sb.ToString();
    }
}
