using System.Diagnostics;
using System.Net;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Microsoft.Extensions.Logging;
using Pipeline.Ingest.Notifications;
using Pipeline.Parsing;
using Pipeline.Sink;

namespace Pipeline.Ingest.Worker;

/// <summary>
/// Streams one CloudTrail object from S3 through the reader into the sink: the object body goes straight into gzip
/// and the JSON scanner, never into memory whole. Transient failures, including a connection reset in the middle of
/// the body, restart the object from the beginning after discarding what was read, so no row is counted twice.
/// </summary>
internal sealed class S3ObjectIngestor(
    IAmazonS3 s3,
    ProcessedObjectLedger ledger,
    IPartitionFileWriter writer,
    DatasetSink sink,
    ReaderOptions readerOptions,
    SinkOptions sinkOptions,
    WorkerOptions options,
    WorkerMetrics metrics,
    WorkerHealth health,
    TimeProvider time,
    ILogger logger)
{
    // Objects being read or waiting for their rows to be published, by bucket and key: a duplicate notification
    // arriving meanwhile (S3 delivers at least once; two paths may notify the same object) waits for the first
    // read instead of reading the object again.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, InFlightRead> _inProgress = new(StringComparer.Ordinal);

    public async Task<ObjectOutcome> IngestAsync(string messageId, NotificationObject obj, CancellationToken cancellationToken)
    {
        // By bucket and key, not version: CloudTrail's own notification names no ETag, and must still find a read of
        // the same object that an S3 event started. Only two known, different versions are different reads: a newer
        // version must not be answered by an older read.
        var key = obj.Bucket + "\n" + obj.Key;
        var mine = new TaskCompletionSource<ObjectOutcome>(TaskCreationOptions.RunContinuationsAsynchronously);
        var entry = new InFlightRead(mine.Task, obj.ETag);
        var current = _inProgress.GetOrAdd(key, entry);
        if (!ReferenceEquals(current, entry))
        {
            if (obj.ETag is { Length: > 0 } version && current.ETag is { Length: > 0 } other && !string.Equals(version, other, StringComparison.Ordinal))
            {
                return await IngestOnceAsync(messageId, obj, cancellationToken).ConfigureAwait(false);
            }

            var first = await current.Outcome.WaitAsync(cancellationToken).ConfigureAwait(false);
            WorkerLog.AlreadyIngested(logger, messageId, $"s3://{obj.Bucket}/{obj.Key} (duplicate notification, read once by another message)");
            return first.Failure is null ? first : ObjectOutcome.Failed("a concurrent read of the same object failed: " + first.Failure);
        }

        ObjectOutcome outcome;
        try
        {
            outcome = await IngestOnceAsync(messageId, obj, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            mine.SetResult(ObjectOutcome.Failed(e.Message));
            _inProgress.TryRemove(new KeyValuePair<string, InFlightRead>(key, entry));
            throw;
        }

        mine.SetResult(outcome);
        if (outcome.Publication is null)
        {
            _inProgress.TryRemove(new KeyValuePair<string, InFlightRead>(key, entry));
        }
        else
        {
            _ = ForgetWhenPublishedAsync(key, entry, outcome.Publication);
        }

        return outcome;
    }

    private async Task ForgetWhenPublishedAsync(string key, InFlightRead entry, Task publication)
    {
        try
        {
            await publication.ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The message handler reports publication failures; here the entry only has to go.
        }
        finally
        {
            _inProgress.TryRemove(new KeyValuePair<string, InFlightRead>(key, entry));
        }
    }

    private async Task<ObjectOutcome> IngestOnceAsync(string messageId, NotificationObject obj, CancellationToken cancellationToken)
    {
        var display = $"s3://{obj.Bucket}/{obj.Key}";
        if (obj.ETag is { Length: > 0 } known && await ledger.IsProcessedAsync(SourceIdentity.ForS3(obj.Bucket, obj.Key, known), cancellationToken).ConfigureAwait(false))
        {
            WorkerLog.AlreadyIngested(logger, messageId, display);
            metrics.Objects.Add(1, new KeyValuePair<string, object?>("outcome", "already_ingested"));
            return ObjectOutcome.Skipped;
        }

        for (var attempt = 1; ; attempt++)
        {
            var spill = new SpillingSource(writer);
            try
            {
                return await ReadOnceAsync(messageId, obj, display, spill, cancellationToken).ConfigureAwait(false);
            }
            catch (CloudTrailFormatException e)
            {
                await spill.DiscardAsync().ConfigureAwait(false);
                return Fail(messageId, display, e.Detail);
            }
            catch (AmazonS3Exception e) when (e.ErrorCode == "NoSuchBucket")
            {
                await spill.DiscardAsync().ConfigureAwait(false);
                return Fail(messageId, display, $"NoSuchBucket: the bucket {obj.Bucket} does not exist; check the bucket the notification names (and the entry for it in Worker:AllowedBuckets)");
            }
            catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound || e.ErrorCode == "NoSuchKey")
            {
                await spill.DiscardAsync().ConfigureAwait(false);
                return Fail(messageId, display, "NoSuchKey: the object does not exist (deleted after the notification, or the key was mis-encoded)");
            }
            catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.Forbidden || e.ErrorCode is "AccessDenied" or "KMS.AccessDeniedException")
            {
                await spill.DiscardAsync().ConfigureAwait(false);
                return Fail(messageId, display, $"{e.ErrorCode}: the worker may not read it; grant s3:GetObject on the trail bucket (and kms:Decrypt on the trail's key if SSE-KMS). Without s3:ListBucket, S3 also answers AccessDenied for an object that does not exist");
            }
            catch (Exception e) when (IsTransient(e) && !cancellationToken.IsCancellationRequested)
            {
                await spill.DiscardAsync().ConfigureAwait(false);
                if (attempt >= options.ObjectReadAttempts)
                {
                    return Fail(messageId, display, $"gave up after {attempt} attempts: {AwsErrors.Describe(e)}");
                }

                var delay = AwsErrors.Backoff(attempt - 1, options.MaxBackoff);
                WorkerLog.ObjectRetry(logger, messageId, display, attempt, AwsErrors.Describe(e), delay.TotalMilliseconds);
                await Task.Delay(delay, time, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                await spill.DiscardAsync().ConfigureAwait(false);
                throw;
            }
        }
    }

    private async Task<ObjectOutcome> ReadOnceAsync(string messageId, NotificationObject obj, string display, SpillingSource spill, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        using var response = await GetObjectAsync(obj, cancellationToken).ConfigureAwait(false);
        var etag = response.ETag?.Trim('"') ?? string.Empty;
        if (obj.ETag is { Length: > 0 } expected && etag.Length > 0 && !string.Equals(expected, etag, StringComparison.Ordinal))
        {
            WorkerLog.ObjectChanged(logger, messageId, display, expected);
            metrics.Objects.Add(1, new KeyValuePair<string, object?>("outcome", "changed"));
            return ObjectOutcome.Skipped;
        }

        var identity = SourceIdentity.ForS3(obj.Bucket, obj.Key, etag.Length > 0 ? etag : $"size:{response.ContentLength}");
        if (obj.ETag is not { Length: > 0 } && await ledger.IsProcessedAsync(identity, cancellationToken).ConfigureAwait(false))
        {
            WorkerLog.AlreadyIngested(logger, messageId, display);
            metrics.Objects.Add(1, new KeyValuePair<string, object?>("outcome", "already_ingested"));
            return ObjectOutcome.Skipped;
        }

        var source = SourceContext.ForS3(obj.Bucket, obj.Key, time.GetUtcNow().UtcDateTime);
        var collector = new KmsRecordCollector(source, readerOptions, spill.SpillAsync, sinkOptions.SpillBytes);
        await using var body = new ProgressStream(response.ResponseStream, () => health.Progressed(time.GetUtcNow().UtcDateTime));
        var result = await CloudTrailObjectReader.ReadAsync(body, collector, source, readerOptions, cancellationToken).ConfigureAwait(false);
        var publication = await sink.AddAsync(identity, collector.Batch, spill.Staged, cancellationToken).ConfigureAwait(false);
        var elapsed = time.GetElapsedTime(started);
        metrics.ObjectRead(result.CompressedBytes, result.KmsRecords, elapsed);
        WorkerLog.ObjectRead(logger, messageId, display, result.Records, result.KmsRecords, result.CompressedBytes, elapsed.TotalMilliseconds);
        if (result.DerivedEventIds > 0)
        {
            WorkerLog.DerivedEventIds(logger, messageId, display, result.DerivedEventIds);
        }
        return new ObjectOutcome(publication, null);
    }

    /// <summary>
    /// GetObject for the whole object, asked for as the open byte range <c>bytes=0-</c> (everything) unless the
    /// notification says the object is empty: the SDK then leaves the body alone instead of hashing every byte with its
    /// managed MD5 against the ETag, which was about a tenth of the worker's CPU in a profile. Integrity is still checked
    /// end to end: every gzip member ends with the CRC-32 and length of its content, which the reader verifies, and the
    /// ETag S3 returns is compared with the notification's. CloudTrail's own notifications (and the backfill's) state
    /// no size; S3 refuses any range of an empty object (416 <c>InvalidRange</c>), so such an object is asked for again
    /// without the range.
    /// </summary>
    private async Task<GetObjectResponse> GetObjectAsync(NotificationObject obj, CancellationToken cancellationToken)
    {
        var request = NewGetObjectRequest(obj);
        try
        {
            return await s3.GetObjectAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (AmazonS3Exception e) when (request.ByteRange is not null && IsRangeOfEmptyObject(e))
        {
            return await s3.GetObjectAsync(new GetObjectRequest { BucketName = obj.Bucket, Key = obj.Key }, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The request for <paramref name="obj"/>: the open range from byte zero unless it is known to be empty.</summary>
    internal static GetObjectRequest NewGetObjectRequest(NotificationObject obj)
    {
        var request = new GetObjectRequest { BucketName = obj.Bucket, Key = obj.Key };
        if (obj.Size is not 0)
        {
            request.ByteRange = new ByteRange("bytes=0-");
        }

        return request;
    }

    private static bool IsRangeOfEmptyObject(AmazonS3Exception e) =>
        e.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable || e.ErrorCode == "InvalidRange";

    private ObjectOutcome Fail(string messageId, string display, string reason)
    {
        WorkerLog.ObjectFailed(logger, messageId, display, reason);
        metrics.Objects.Add(1, new KeyValuePair<string, object?>("outcome", "failed"));
        return ObjectOutcome.Failed(reason);
    }

    private static bool IsTransient(Exception e) => e switch
    {
        AmazonServiceException s => !AwsErrors.IsFatal(s) && ((int)s.StatusCode >= 500 || s.StatusCode == HttpStatusCode.TooManyRequests || s.ErrorCode is "SlowDown" or "RequestTimeout" or "InternalError" or "ServiceUnavailable" || s.StatusCode == 0),
        AmazonClientException => true,
        HttpRequestException or IOException or TimeoutException => true,
        TaskCanceledException t => t.InnerException is TimeoutException,
        _ => false,
    };
}

/// <summary>A read of one object in progress (until its rows are published), with the version its notification named.</summary>
internal sealed record InFlightRead(Task<ObjectOutcome> Outcome, string? ETag);
