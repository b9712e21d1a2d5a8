using System.Buffers;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.RegularExpressions;
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
internal sealed partial class BackfillEnqueuer(IAmazonS3 s3, IAmazonSQS sqs)
{
    /// <summary>SendMessageBatch takes at most 10 messages.</summary>
    private const int MessagesPerBatch = 10;

    private const int SendAttempts = 4;

    /// <summary>What one SendMessageBatch may carry, with room to spare (SQS's limit is 256 KiB).</summary>
    private const int MaxBatchBytes = 240 * 1024;

    public const int MaxKeysPerMessage = 100;

    public async Task<BackfillCounts> RunAsync(BackfillRequest request, Action<BackfillCounts>? progress, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(request.KeysPerMessage, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(request.KeysPerMessage, MaxKeysPerMessage);
        var c = new Tally();
        var keys = new List<string>(request.KeysPerMessage);
        var bodies = new List<string>(MessagesPerBatch);
        await foreach (var page in PagesAsync(request, cancellationToken).ConfigureAwait(false))
        {
            foreach (var key in page)
            {
                c.Listed++;
                switch (CloudTrailObjectKey.Classify(key))
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
                if (!InRange(key, request))
                {
                    c.OutsideDates++;
                    continue;
                }

                keys.Add(key);
                if (keys.Count == request.KeysPerMessage)
                {
                    await AddMessageAsync(request, keys, bodies, c, cancellationToken).ConfigureAwait(false);
                }
            }

            progress?.Invoke(c.Snapshot());
        }

        if (keys.Count > 0)
        {
            await AddMessageAsync(request, keys, bodies, c, cancellationToken).ConfigureAwait(false);
        }

        await SendAsync(request, bodies, c, cancellationToken).ConfigureAwait(false);
        return c.Snapshot();
    }

    /// <summary>How the objects will be listed, for the operator.</summary>
    public static string DescribeListing(BackfillRequest request) =>
        ScopedStart(request) is { } start
            ? $"s3://{request.Bucket}/{request.Prefix}: the month folders {start.From:yyyy-MM} to {EndDate(request):yyyy-MM} of every account and region under it"
            : $"s3://{request.Bucket}/{request.Prefix}: every object under it";

    /// <summary>Where a date-scoped walk starts: with a start date and a prefix inside the CloudTrail layout; else null.</summary>
    private static (DateOnly From, TrailLevel Level)? ScopedStart(BackfillRequest request) =>
        request.From is { } from && LevelOf(request.Prefix) is { } level ? (from, level) : null;

    /// <summary>
    /// Pages of keys to look at. Without <see cref="BackfillRequest.From"/>, or when the prefix is not inside the
    /// CloudTrail layout, everything under the prefix. With it, only the month folders in range: the walk lists the
    /// organization, account and region folders below the prefix (skipping the digest and Insight trees) and then
    /// <c>.../CloudTrail/&lt;region&gt;/YYYY/MM/</c> for each month, so a month of a years-old trail does not list the years.
    /// </summary>
    private async IAsyncEnumerable<IReadOnlyList<string>> PagesAsync(BackfillRequest request, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var pages = ScopedStart(request) is { } start
            ? ScopedAsync(request.Bucket, request.Prefix, start.Level, start.From, EndDate(request), cancellationToken)
            : ListAsync(request.Bucket, request.Prefix, cancellationToken);
        await foreach (var page in pages.ConfigureAwait(false))
        {
            yield return page;
        }
    }

    private static DateOnly EndDate(BackfillRequest request) => request.To ?? DateOnly.FromDateTime(DateTime.UtcNow);

    private async IAsyncEnumerable<IReadOnlyList<string>> ScopedAsync(string bucket, string prefix, TrailLevel level, DateOnly from, DateOnly to, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        switch (level)
        {
            case TrailLevel.Region:
                for (var month = new DateOnly(from.Year, from.Month, 1); month <= to; month = month.AddMonths(1))
                {
                    await foreach (var page in ListAsync(bucket, prefix + month.ToString("yyyy/MM/", CultureInfo.InvariantCulture), cancellationToken).ConfigureAwait(false))
                    {
                        yield return page;
                    }
                }

                yield break;
            case TrailLevel.Account:
                await foreach (var page in ScopedAsync(bucket, prefix + "CloudTrail/", TrailLevel.CloudTrail, from, to, cancellationToken).ConfigureAwait(false))
                {
                    yield return page;
                }

                yield break;
        }

        foreach (var folder in await FoldersAsync(bucket, prefix, cancellationToken).ConfigureAwait(false))
        {
            TrailLevel? next = level switch
            {
                TrailLevel.Root when OrganizationId().IsMatch(folder) => TrailLevel.Organization,
                TrailLevel.Root or TrailLevel.Organization when AccountId().IsMatch(folder) => TrailLevel.Account,
                TrailLevel.CloudTrail when RegionName().IsMatch(folder) => TrailLevel.Region,
                _ => null,
            };
            if (next is { } child)
            {
                await foreach (var page in ScopedAsync(bucket, prefix + folder + "/", child, from, to, cancellationToken).ConfigureAwait(false))
                {
                    yield return page;
                }
            }
        }
    }

    /// <summary>Every key under <paramref name="prefix"/>, a page (up to 1,000) at a time.</summary>
    private async IAsyncEnumerable<IReadOnlyList<string>> ListAsync(string bucket, string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string? token = null;
        do
        {
            var page = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket, Prefix = prefix, ContinuationToken = token }, cancellationToken).ConfigureAwait(false);
            yield return (page.S3Objects ?? []).Select(o => o.Key).ToList();
            token = page.IsTruncated == true ? page.NextContinuationToken : null;
        }
        while (token is not null);
    }

    /// <summary>The names of the folders directly under <paramref name="prefix"/>.</summary>
    private async Task<List<string>> FoldersAsync(string bucket, string prefix, CancellationToken cancellationToken)
    {
        var folders = new List<string>();
        string? token = null;
        do
        {
            var page = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket, Prefix = prefix, Delimiter = "/", ContinuationToken = token }, cancellationToken).ConfigureAwait(false);
            folders.AddRange((page.CommonPrefixes ?? []).Select(p => p[prefix.Length..].TrimEnd('/')));
            token = page.IsTruncated == true ? page.NextContinuationToken : null;
        }
        while (token is not null);
        return folders;
    }

    /// <summary>Where <paramref name="prefix"/> ends in <c>[prefix/]AWSLogs/[o-id/]account/CloudTrail/region/</c>; null outside it or below a region.</summary>
    internal static TrailLevel? LevelOf(string prefix)
    {
        const string Logs = "AWSLogs/";
        var at = prefix.StartsWith(Logs, StringComparison.Ordinal) ? 0 : prefix.IndexOf("/" + Logs, StringComparison.Ordinal) + 1;
        if (at == 0 && !prefix.StartsWith(Logs, StringComparison.Ordinal))
        {
            return null; // not inside the layout (no AWSLogs/ folder in the prefix)
        }

        var segments = prefix[(at + Logs.Length)..].Split('/', StringSplitOptions.RemoveEmptyEntries);
        var i = 0;
        if (i == segments.Length)
        {
            return TrailLevel.Root;
        }

        if (OrganizationId().IsMatch(segments[i]) && ++i == segments.Length)
        {
            return TrailLevel.Organization;
        }

        if (!AccountId().IsMatch(segments[i]))
        {
            return null;
        }

        if (++i == segments.Length)
        {
            return TrailLevel.Account;
        }

        if (segments[i] != "CloudTrail")
        {
            return null;
        }

        return ++i == segments.Length ? TrailLevel.CloudTrail
            : i + 1 == segments.Length && RegionName().IsMatch(segments[i]) ? TrailLevel.Region
            : null;
    }

    [GeneratedRegex("^o-[a-z0-9]{10,32}$", RegexOptions.CultureInvariant)]
    private static partial Regex OrganizationId();

    [GeneratedRegex(@"^\d{12}$", RegexOptions.CultureInvariant)]
    private static partial Regex AccountId();

    [GeneratedRegex("^[a-z0-9-]+$", RegexOptions.CultureInvariant)]
    private static partial Regex RegionName();

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
        // A batch request may carry 256 KiB in all: long keys (S3 allows 1,024 bytes) at 100 a message would pass it.
        var body = MessageBody(request.Bucket, keys);
        if (bodies.Count > 0 && bodies.Sum(b => Encoding.UTF8.GetByteCount(b)) + Encoding.UTF8.GetByteCount(body) > MaxBatchBytes)
        {
            await SendAsync(request, bodies, c, cancellationToken).ConfigureAwait(false);
        }

        bodies.Add(body);
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

/// <summary>Where a prefix ends in the CloudTrail key layout.</summary>
internal enum TrailLevel
{
    /// <summary><c>[prefix/]AWSLogs/</c></summary>
    Root,

    /// <summary><c>AWSLogs/o-id/</c></summary>
    Organization,

    /// <summary><c>AWSLogs/[o-id/]account/</c></summary>
    Account,

    /// <summary><c>.../account/CloudTrail/</c></summary>
    CloudTrail,

    /// <summary><c>.../CloudTrail/region/</c></summary>
    Region,
}

/// <summary>A backfill that could not enqueue everything; the message says how far it got.</summary>
internal sealed class BackfillException(string message) : Exception(message);
