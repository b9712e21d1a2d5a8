using Pipeline.Analysis;
using Pipeline.Sink;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Analysis;

public sealed class CoverageGapTests
{
    [Theory]
    [InlineData("s3://trail/AWSLogs/o-abc123def4/111122223333/CloudTrail/us-east-1/2026/01/15/111122223333_CloudTrail_us-east-1_20260115T1005Z_Mu0KsOhtH1ar15ZZ.json.gz", "111122223333", "2026-01-15")]
    [InlineData("/data/trail/AWSLogs/111122223333/CloudTrail/eu-west-1/2026/01/16/111122223333_CloudTrail_eu-west-1_20260116T0005Z_Mu0KsOhtH1ar15ZZ.json.gz", "111122223333", "2026-01-16")]
    [InlineData("/downloads/444455556666_CloudTrail_us-east-1_20260117T2355Z_Mu0KsOhtH1ar15ZZ.json.gz", "444455556666", "2026-01-17")]
    public void The_trail_account_and_delivery_day_come_from_the_key_or_the_file_name(string location, string account, string day)
    {
        Assert.True(CoverageGaps.TryDelivery(location, out var a, out var d));
        Assert.Equal((account, DateOnly.Parse(day, System.Globalization.CultureInfo.InvariantCulture)), (a, d));
    }

    [Fact]
    public void Files_that_are_not_cloudtrail_log_files_are_not_counted()
    {
        Assert.False(CoverageGaps.TryDelivery("/tmp/notes.json.gz", out _, out _));
    }
}

public sealed class CoverageGapLedgerTests : IDisposable
{
    private readonly TempDataset _dataset = new();

    public void Dispose() => _dataset.Dispose();

    // The markers of one flush share one file of JSON lines (hard links), and an object marked again in a later flush
    // keeps its old line in the older file: each log file must still count once.
    [Fact]
    public async Task Each_delivered_log_file_counts_once_however_many_marker_files_hold_its_line()
    {
        var ledger = new ProcessedObjectLedger(_dataset.Store);
        static SourceIdentity File(int day, int n) => SourceIdentity.ForS3(
            "trail",
            $"AWSLogs/111122223333/CloudTrail/us-east-1/2026/01/{day:00}/111122223333_CloudTrail_us-east-1_202601{day:00}T{n:00}05Z_Mu0KsOhtH1ar15ZZ.json.gz",
            $"e{day}-{n}");

        // Seven baseline days with KMS rows, then a day of three files without any.
        for (var day = 1; day <= 7; day++)
        {
            await ledger.MarkProcessedAsync([new PublishedSource(File(day, 1), 5, []), new PublishedSource(File(day, 2), 5, [])], CancellationToken.None);
        }

        await ledger.MarkProcessedAsync([new PublishedSource(File(8, 1), 0, []), new PublishedSource(File(8, 2), 0, [])], CancellationToken.None);
        await ledger.MarkProcessedAsync([new PublishedSource(File(8, 2), 0, []), new PublishedSource(File(8, 3), 0, [])], CancellationToken.None);

        var findings = await CoverageGaps.FindAsync(_dataset.Root, new DateOnly(2026, 1, 8), new AnalysisOptions(), CancellationToken.None);

        var gap = Assert.Single(findings);
        Assert.Equal("111122223333", gap.CallerAccountId);
        Assert.Equal(3, (int)gap.Details!["log_files_delivered"]!);
        Assert.Equal(10, gap.BaselineMean);
    }
}
