using System.CommandLine;
using System.Globalization;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.SQS;
using Pipeline.Ingest.Backfill;
using Pipeline.Reporting;
using Pipeline.Sink;

namespace Pipeline.Cli.Commands;

/// <summary>
/// <c>pipeline backfill</c>: queues the CloudTrail log files already in a bucket for the workers, which only hear of
/// new objects through notifications.
/// </summary>
internal static class BackfillCommand
{
    public static Command Create()
    {
        var source = new Argument<string>("source") { Description = "The trail's s3://bucket/prefix, e.g. s3://trail-bucket/AWSLogs/o-abc123def4/ (digest, Insight and other objects under it are skipped)" };
        var queue = new Option<string>("--queue-url") { Description = "The workers' SQS queue (Worker:QueueUrl)", Required = true };
        var from = new Option<string?>("--from") { Description = "Only log files delivered on or after this UTC date, YYYY-MM-DD (the date in the file name)" };
        var to = new Option<string?>("--to") { Description = "Only log files delivered on or before this UTC date, YYYY-MM-DD" };
        var perMessage = new Option<int>("--keys-per-message") { Description = $"Log files named in one message (1-{BackfillEnqueuer.MaxKeysPerMessage}); a worker reads one message's files one after another", DefaultValueFactory = _ => 10 };
        var dryRun = new Option<bool>("--dry-run") { Description = "List and count, send nothing" };
        var pathStyle = new Option<bool>("--s3-force-path-style") { Description = "Path-style S3 URLs (S3 emulators, some proxies)" };
        var command = new Command("backfill", "Queue the CloudTrail log files already in a bucket for the workers (they hear only of new objects), in CloudTrail's own notification format; the workers' ledger skips what is already ingested, so repeating a backfill is safe.")
        {
            source, queue, from, to, perMessage, dryRun, pathStyle,
        };
        command.SetAction(async (ParseResult r, CancellationToken ct) =>
        {
            var o = r.InvocationConfiguration.Output;
            var e = r.InvocationConfiguration.Error;
            var text = r.GetValue(source)!;
            if (!text.StartsWith("s3://", StringComparison.OrdinalIgnoreCase) || !OutputLocation.TryParse(text, out var location, out var problem))
            {
                await e.WriteLineAsync($"error: source must be s3://bucket[/prefix], got '{text}'").ConfigureAwait(false);
                return ExitCodes.UsageError;
            }

            if (!TryDate(r.GetValue(from), out var fromDate) || !TryDate(r.GetValue(to), out var toDate))
            {
                await e.WriteLineAsync("error: --from and --to must be calendar dates as YYYY-MM-DD").ConfigureAwait(false);
                return ExitCodes.UsageError;
            }

            if (fromDate > toDate)
            {
                await e.WriteLineAsync($"error: --from {fromDate:yyyy-MM-dd} is after --to {toDate:yyyy-MM-dd}").ConfigureAwait(false);
                return ExitCodes.UsageError;
            }

            var keys = r.GetValue(perMessage);
            if (keys is < 1 or > BackfillEnqueuer.MaxKeysPerMessage)
            {
                await e.WriteLineAsync($"error: --keys-per-message must be 1-{BackfillEnqueuer.MaxKeysPerMessage}, got {keys}").ConfigureAwait(false);
                return ExitCodes.UsageError;
            }

            var request = new BackfillRequest(location.Bucket!, location.Prefix, r.GetValue(queue)!, fromDate, toDate, keys, r.GetValue(dryRun));
            try
            {
                using var s3 = new AmazonS3Client(new AmazonS3Config { ForcePathStyle = r.GetValue(pathStyle) });
                using var sqs = new AmazonSQSClient();
                await o.WriteLineAsync($"Listing {BackfillEnqueuer.DescribeListing(request)}{(request.DryRun ? " (dry run: nothing is sent)" : $"; queueing into {request.QueueUrl}")}").ConfigureAwait(false);
                var lastReport = DateTime.UtcNow;
                var counts = await new BackfillEnqueuer(s3, sqs).RunAsync(
                    request,
                    c =>
                    {
                        if (DateTime.UtcNow - lastReport >= TimeSpan.FromSeconds(5))
                        {
                            lastReport = DateTime.UtcNow;
                            o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {Counted.Of(c.Listed, "object")} listed, {Counted.Of(c.Enqueued, "log file")} queued"));
                        }
                    },
                    ct).ConfigureAwait(false);
                await o.WriteLineAsync(Summary(counts, request)).ConfigureAwait(false);
                return ExitCodes.Success;
            }
            catch (BackfillException ex)
            {
                await e.WriteLineAsync("error: " + ex.Message).ConfigureAwait(false);
                return ExitCodes.Failure;
            }
            catch (AmazonServiceException ex)
            {
                await e.WriteLineAsync($"error: {ex.ErrorCode} {ex.Message} (a backfill needs s3:ListBucket on {location} and sqs:SendMessage on the queue; running it again is safe)").ConfigureAwait(false);
                return ExitCodes.Failure;
            }
            catch (Exception ex) when (ex is AmazonClientException or HttpRequestException)
            {
                await e.WriteLineAsync($"error: {ex.Message} (check AWS_REGION, AWS_ENDPOINT_URL and the credentials; running it again is safe)").ConfigureAwait(false);
                return ExitCodes.Failure;
            }
        });
        return command;
    }

    internal static string Summary(BackfillCounts c, BackfillRequest request)
    {
        var verb = request.DryRun ? "would queue" : "queued";
        var skipped = new List<string>();
        if (c.OutsideDates > 0)
        {
            skipped.Add(string.Create(CultureInfo.InvariantCulture, $"{Counted.Of(c.OutsideDates, "log file")} delivered outside the dates"));
        }

        if (c.Digests > 0)
        {
            skipped.Add(string.Create(CultureInfo.InvariantCulture, $"{Counted.Of(c.Digests, "digest file")}"));
        }

        if (c.Insights > 0)
        {
            skipped.Add(string.Create(CultureInfo.InvariantCulture, $"{Counted.Of(c.Insights, "Insight file")}"));
        }

        if (c.Other > 0)
        {
            skipped.Add(string.Create(CultureInfo.InvariantCulture, $"{Counted.Of(c.Other, "other object")}"));
        }

        return string.Create(CultureInfo.InvariantCulture, $"{Counted.Of(c.Listed, "object")} listed; {verb} {Counted.Of(c.Enqueued, "CloudTrail log file")} in {Counted.Of(c.Messages, "message")}")
            + (skipped.Count > 0 ? "; skipped " + string.Join(", ", skipped) : string.Empty)
            + (c.LogFiles == 0 ? $". No CloudTrail log file under s3://{request.Bucket}/{request.Prefix}: CloudTrail writes them under [prefix/]AWSLogs/[o-id/]<account>/CloudTrail/<region>/YYYY/MM/DD/" : string.Empty);
    }

    private static bool TryDate(string? text, out DateOnly? date)
    {
        date = null;
        if (text is null)
        {
            return true;
        }

        if (!DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d))
        {
            return false;
        }

        date = d;
        return true;
    }
}
