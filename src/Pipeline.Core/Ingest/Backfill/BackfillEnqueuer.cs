using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Amazon.S3;
using Amazon.S3.Model;
using Amazon.SQS;
using Amazon.SQS.Model;

namespace Pipeline.Ingest.Backfill;

/// <summary>What to enqueue: the CloudTrail log files under a bucket prefix, optionally only those delivered in a date range.</summary>
internal sealed record BackfillRequest(string Bucket, string Prefix, string QueueUrl, DateOnly? From, DateOnly? To, int KeysPerMessage, bool DryRun);

/// <summary>Counts of a backfill so far (or in total).</summary>
internal sealed record BackfillCounts(long Listed, long LogFiles, long OutsideDates, long Digests, long Insights, long Other, long Enqueued, long Messages);

/// <summary>
/// Gives the worker the CloudTrail objects that were written before its notifications existed: lists a bucket prefix
/// and sends one SQS message per <see cref="BackfillRequest.KeysPerMessage"/> log files, in the notification format
/// CloudTrail itself publishes (<c>{"s3Bucket": ..., "s3ObjectKey": [...]}</c>), which every worker already reads. The
/// workers then ingest them like new objects, in parallel, and their ledger skips objects already ingested, so a
/// backfill that overlaps live ingestion, or runs twice, writes nothing twice.
/// </summary>
internal sealed class BackfillEnqueuer(IAmazonS3 s3, IAmazonSQS sqs)
{
    /// <summary>SendMessageBatch takes at most 10 messages.</summary>
    private const int MessagesPerBatch = 10;

    private const int SendAttempts = 4;

    public const int MaxKeysPerMessage = 100;

    public async Task<BackfillCounts> RunAsync(BackfillRequest request, Action<BackfillCounts>? progress, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(request.KeysPerMessage, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(request.KeysPerMessage, MaxKeysPerMessage);
        var c = new Tally();
        var keys = new List<string>(request.KeysPerMessage);
        var bodies = new List<string>(MessagesPerBatch);
        string? token = null;
        do
        {
            var page = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = request.Bucket, Prefix = request.Prefix, ContinuationToken = token }, cancellationToken).ConfigureAwait(false);
            foreach (var obj in page.S3Objects ?? [])
            {
                c.Listed++;
                switch (CloudTrailObjectKey.Classify(obj.Key))
                {
                    case CloudTrailObjectKind.Digest:
                        c.Digests++;
                        continue;
                    case CloudTrailObjectKind.Insight:
                        c.Insights++;
                        continue;
                    case CloudTrailObjectKind.Other:
                        c.Other++;
                        continue;
                }

                c.LogFiles++;
                if (!InRange(obj.Key, request))
                {
                    c.OutsideDates++;
                    continue;
                }

                keys.Add(obj.Key);
                if (keys.Count == request.KeysPerMessage)
                {
                    await AddMessageAsync(request, keys, bodies, c, cancellationToken).ConfigureAwait(false);
                }
            }

            token = page.IsTruncated == true ? page.NextContinuationToken : null;
            progress?.Invoke(c.Snapshot());
        }
        while (token is not null);

        if (keys.Count > 0)
        {
            await AddMessageAsync(request, keys, bodies, c, cancellationToken).ConfigureAwait(false);
        }

        await SendAsync(request, bodies, c, cancellationToken).ConfigureAwait(false);
        return c.Snapshot();
    }

    /// <summary>The message body CloudTrail publishes to its SNS topic, naming <paramref name="keys"/> (not URL-encoded).</summary>
    public static string MessageBody(string bucket, IReadOnlyList<string> keys)
    {
        var buffer = new ArrayBufferWriter<byte>(256 + (keys.Count * 160));
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("s3Bucket", bucket);
            json.WriteStartArray("s3ObjectKey");
            foreach (var key in keys)
            {
                json.WriteStringValue(key);
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>A log file's delivery date (from its name) within the requested dates; a name without one is kept.</summary>
    private static bool InRange(string key, BackfillRequest request)
    {
        if (request.From is null && request.To is null)
        {
            return true;
        }

        return !CloudTrailObjectKey.TryGetDeliveryDate(key, out var date)
            || ((request.From is not { } from || date >= from) && (request.To is not { } to || date <= to));
    }

    private async Task AddMessageAsync(BackfillRequest request, List<string> keys, List<string> bodies, Tally c, CancellationToken cancellationToken)
    {
        bodies.Add(MessageBody(request.Bucket, keys));
        c.Enqueued += keys.Count;
        c.Messages++;
        keys.Clear();
        if (bodies.Count == MessagesPerBatch)
        {
            await SendAsync(request, bodies, c, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Sends the messages gathered; entries SQS refuses are retried, and a failure that persists is thrown.</summary>
    private async Task SendAsync(BackfillRequest request, List<string> bodies, Tally c, CancellationToken cancellationToken)
    {
        if (bodies.Count == 0 || request.DryRun)
        {
            bodies.Clear();
            return;
        }

        var entries = bodies.Select((body, i) => new SendMessageBatchRequestEntry(i.ToString(CultureInfo.InvariantCulture), body)).ToList();
        for (var attempt = 1; ; attempt++)
        {
            var response = await sqs.SendMessageBatchAsync(new SendMessageBatchRequest { QueueUrl = request.QueueUrl, Entries = entries }, cancellationToken).ConfigureAwait(false);
            var failed = response.Failed ?? [];
            if (failed.Count == 0)
            {
                break;
            }

            // A sender's fault (too large, malformed) will not pass on retry; a service-side one may.
            if (attempt == SendAttempts || failed.Any(f => f.SenderFault == true))
            {
                var first = failed[0];
                var sent = c.Messages - bodies.Count;
                throw new BackfillException(
                    $"SQS refused {failed.Count} of {entries.Count} messages ({first.Code}: {first.Message}) after {attempt} attempt(s); "
                    + $"{sent} earlier messages were sent. Running the backfill again is safe: the worker's ledger skips objects it has ingested.");
            }

            var failedIds = failed.Select(f => f.Id).ToHashSet(StringComparer.Ordinal);
            entries = entries.Where(e => failedIds.Contains(e.Id)).ToList();
            await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt), cancellationToken).ConfigureAwait(false);
        }

        bodies.Clear();
    }

    private sealed class Tally
    {
        public long Listed;
        public long LogFiles;
        public long OutsideDates;
        public long Digests;
        public long Insights;
        public long Other;
        public long Enqueued;
        public long Messages;

        public BackfillCounts Snapshot() => new(Listed, LogFiles, OutsideDates, Digests, Insights, Other, Enqueued, Messages);
    }
}

/// <summary>A backfill that could not enqueue everything; the message says how far it got.</summary>
internal sealed class BackfillException(string message) : Exception(message);
