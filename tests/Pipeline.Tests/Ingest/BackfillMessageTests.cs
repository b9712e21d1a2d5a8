using Pipeline.Cli.Commands;
using Pipeline.Ingest.Backfill;
using Pipeline.Ingest.Notifications;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Ingest;

public sealed class BackfillMessageTests
{
    [Fact]
    public void A_backfill_message_is_read_by_the_worker_as_cloudtrails_own_notification_with_its_keys_unchanged()
    {
        // Keys go as they are (CloudTrail's format is not URL-encoded, unlike S3 event notifications).
        string[] keys =
        [
            "AWSLogs/o-abc123def4/111122223333/CloudTrail/us-east-1/2026/01/15/111122223333_CloudTrail_us-east-1_20260115T1005Z_Mu0KsOhtH1ar15ZZ.json.gz",
            "trail prefix+with spaces/AWSLogs/111122223333/CloudTrail/eu-west-1/2026/01/15/111122223333_CloudTrail_eu-west-1_20260115T1010Z_Zz9.json.gz",
            "é/\"quoted\"/AWSLogs/111122223333/CloudTrail/eu-west-1/2026/01/15/111122223333_CloudTrail_eu-west-1_20260115T1015Z_Ab1.json.gz",
        ];

        var parsed = NotificationParser.Parse(BackfillEnqueuer.MessageBody("trail-bucket", keys));

        Assert.Equal(NotificationKind.CloudTrailSns, parsed.Kind);
        Assert.Equal(keys, parsed.Objects.Select(o => o.Key));
        Assert.All(parsed.Objects, o => Assert.Equal("trail-bucket", o.Bucket));
    }

    [Fact]
    public void The_summary_names_what_was_queued_and_what_was_skipped()
    {
        var request = new BackfillRequest("b", "AWSLogs/", "q", null, null, 10, DryRun: false);
        var summary = BackfillCommand.Summary(new BackfillCounts(Listed: 1210, LogFiles: 1200, OutsideDates: 200, Digests: 8, Insights: 0, Other: 2, Enqueued: 1000, Messages: 100), request);

        Assert.Equal("1,210 objects listed; queued 1,000 CloudTrail log files in 100 messages; skipped 200 log files delivered outside the dates, 8 digest files, 2 other objects", summary);
        Assert.StartsWith("1,210 objects listed; would queue", BackfillCommand.Summary(new BackfillCounts(1210, 1200, 200, 8, 0, 2, 1000, 100), request with { DryRun = true }), StringComparison.Ordinal);
    }

    [Fact]
    public void The_backfill_summary_says_one_file_and_one_message_in_the_singular()
    {
        var request = new BackfillRequest("b", "AWSLogs/", "q", null, null, 10, DryRun: false);

        var summary = BackfillCommand.Summary(new BackfillCounts(Listed: 3, LogFiles: 1, OutsideDates: 0, Digests: 1, Insights: 0, Other: 1, Enqueued: 1, Messages: 1), request);

        Assert.Equal("3 objects listed; queued 1 CloudTrail log file in 1 message; skipped 1 digest file, 1 other object", summary);
    }

    [Fact]
    public void A_prefix_without_log_files_is_pointed_out()
    {
        var summary = BackfillCommand.Summary(new BackfillCounts(3, 0, 0, 0, 0, 3, 0, 0), new BackfillRequest("b", "logs/", "q", null, null, 10, DryRun: false));

        Assert.Contains("No CloudTrail log file under s3://b/logs/", summary, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("backfill", "trail-bucket/AWSLogs/", "--queue-url", "q")]
    [InlineData("backfill", "s3://trail-bucket/AWSLogs/", "--queue-url", "q", "--from", "2026-13-01")]
    [InlineData("backfill", "s3://trail-bucket/AWSLogs/", "--queue-url", "q", "--from", "2026-01-16", "--to", "2026-01-15")]
    [InlineData("backfill", "s3://trail-bucket/AWSLogs/", "--queue-url", "q", "--keys-per-message", "0")]
    [InlineData("backfill", "s3://trail-bucket/AWSLogs/")]
    public async Task Usage_errors_exit_2_before_anything_is_listed(params string[] args)
    {
        var (exit, _, error) = await CliRunner.RunAsync(args);

        Assert.True(exit == 2, error);
        Assert.NotEmpty(error);
    }

    [Theory]
    [InlineData("", null)]
    [InlineData("logs/", null)]
    [InlineData("AWSLogs/", "Root")]
    [InlineData("custom/prefix/AWSLogs/", "Root")]
    [InlineData("AWSLogs/o-abcdef1234/", "Organization")]
    [InlineData("AWSLogs/o-abcdef1234/111122223333/", "Account")]
    [InlineData("AWSLogs/111122223333/", "Account")]
    [InlineData("AWSLogs/111122223333/CloudTrail/", "CloudTrail")]
    [InlineData("AWSLogs/o-abcdef1234/111122223333/CloudTrail/eu-west-1/", "Region")]
    [InlineData("AWSLogs/111122223333/CloudTrail/eu-west-1/2026/", null)]
    [InlineData("AWSLogs/111122223333/CloudTrail-Digest/", null)]
    [InlineData("AWSLogs/not-an-account/", null)]
    public void A_prefix_is_placed_in_the_cloudtrail_layout(string prefix, string? expected) =>
        Assert.Equal(expected, BackfillEnqueuer.LevelOf(prefix)?.ToString());
}
