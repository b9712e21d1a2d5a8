using Pipeline.Analysis;
using Pipeline.Query;
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
        await ledger.MarkProcessedAsync([new PublishedSource(File(9, 0), 5, [])], CancellationToken.None); // the next day has begun

        using var q = DatasetQuery.Open(_dataset.Root);
        var findings = await CoverageGaps.FindAsync(q, new DateOnly(2026, 1, 8), new AnalysisOptions(), CancellationToken.None);

        var gap = Assert.Single(findings);
        Assert.Equal("111122223333", gap.CallerAccountId);
        Assert.Equal(3, (int)gap.Details!["log_files_delivered"]!);
        Assert.Equal(10, gap.BaselineMean);
    }

    [Fact]
    public async Task On_a_day_without_any_stored_event_files_delivered_without_kms_records_are_not_also_account_gaps()
    {
        // The day after the data ends: one account's after-midnight files (the day before's events, none of them KMS).
        var ledger = new ProcessedObjectLedger(_dataset.Store);
        static SourceIdentity File(int day) => SourceIdentity.ForS3(
            "trail", $"AWSLogs/111122223333/CloudTrail/us-east-1/2026/01/{day:00}/111122223333_CloudTrail_us-east-1_202601{day:00}T0005Z_Mu0KsOhtH1ar15ZZ.json.gz", $"e{day}");
        for (var d = 1; d <= 10; d++)
        {
            await _dataset.WriteAsync(new TestEvent("e" + d, TestBatch.Utc(2026, 1, d, 12, 0, 0)));
            await ledger.MarkProcessedAsync([new PublishedSource(File(d), 10, [])], CancellationToken.None);
        }

        await ledger.MarkProcessedAsync([new PublishedSource(File(11), 0, [])], CancellationToken.None);
        using var q = DatasetQuery.Open(_dataset.Root);

        Assert.Empty(await CoverageGaps.FindAsync(q, new DateOnly(2026, 1, 11), new AnalysisOptions(), CancellationToken.None)); // data ends at 00:05
        var report = await new DailyReportBuilder(new AnalysisOptions(), TimeProvider.System).BuildAsync(q, new DateOnly(2026, 1, 11), CancellationToken.None);
        var gap = Assert.Single(report.Findings, f => f.Kind == FindingKind.KmsCoverageGap);
        Assert.Equal("dataset", (string?)gap.Details!["scope"]);
    }

    [Fact]
    public async Task A_day_without_any_stored_event_after_days_with_events_is_a_coverage_gap_that_fails_the_report()
    {
        for (var d = 1; d <= 10; d++)
        {
            await _dataset.WriteAsync(new TestEvent("e" + d, TestBatch.Utc(2026, 1, d, 12, 0, 0)));
        }

        var output = Path.Combine(_dataset.Root, "report");
        var silent = await CliRunner.RunAsync("report", "--data", _dataset.Root, "--date", "2026-01-11", "--out", output, "--fail-on", "high");
        var quiet = await CliRunner.RunAsync("report", "--data", _dataset.Root, "--date", "2026-01-10", "--out", output, "--fail-on", "high");

        Assert.True(silent.ExitCode == 4, silent.Output + silent.Error);
        Assert.Contains("No KMS events stored for 2026-01-11 at all, after KMS events on 10 of the previous 28 days (the last on 2026-01-10)", silent.Output, StringComparison.Ordinal);
        Assert.True(quiet.ExitCode == 0, quiet.Output + quiet.Error);
    }

    [Fact]
    public async Task An_account_whose_trail_goes_silent_while_the_others_log_is_a_coverage_gap_with_or_without_a_ledger()
    {
        // busy: KMS every day; stopped: no files from the report day on; two use KMS only on weekdays, one of them
        // still delivering files (without KMS) at weekends: neither is silent on a Sunday; quiet stops too, but with
        // two KMS events a day an empty day can be chance.
        const string busy = "111122223333", stopped = "444455556666", weekdaysOnly = "777788889999", weekdayKms = "888899990000", quiet = "123412341234";
        var report = new DateOnly(2026, 1, 25); // a Sunday
        using var trail = new TrailFolder();
        for (var day = new DateOnly(2026, 1, 1); day <= report; day = day.AddDays(1))
        {
            foreach (var account in new[] { busy, stopped, weekdaysOnly, weekdayKms, quiet })
            {
                var weekend = day.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday;
                if ((account is stopped or quiet && day == report) || (account == weekdaysOnly && weekend))
                {
                    continue;
                }

                var records = account == weekdayKms && weekend
                    ? [CloudTrailRecords.Ec2Record()]
                    : Enumerable.Range(0, account == quiet ? 2 : 8).Select(i => CloudTrailRecords.AssumedRoleDecrypt($"{account}-{day.DayNumber}-{i}", time: $"{day:yyyy-MM-dd}T12:0{i}:00Z")).ToArray();
                trail.AddFile(
                    $"AWSLogs/o-abcdef1234/{account}/CloudTrail/us-east-1/{day:yyyy/MM/dd}/{account}_CloudTrail_us-east-1_{day:yyyyMMdd}T1205Z_Abcdefgh00000001.json.gz",
                    CloudTrailRecords.Gzip(CloudTrailRecords.Document(records).Replace("\"recipientAccountId\":\"111122223333\"", $"\"recipientAccountId\":\"{account}\"", StringComparison.Ordinal)));
            }
        }

        var next = report.AddDays(1);
        trail.AddFile(
            $"AWSLogs/o-abcdef1234/{busy}/CloudTrail/us-east-1/{next:yyyy/MM/dd}/{busy}_CloudTrail_us-east-1_{next:yyyyMMdd}T0005Z_Abcdefgh00000001.json.gz",
            CloudTrailRecords.Gzip(CloudTrailRecords.Document(CloudTrailRecords.AssumedRoleDecrypt("after-midnight", time: $"{next:yyyy-MM-dd}T00:01:00Z"))));
        var (exit, _, error) = await CliRunner.RunAsync("ingest", trail.Root, "--out", _dataset.Root);
        Assert.True(exit == 0, error);

        var withLedger = await FindAsync();
        var gap = Assert.Single(withLedger);
        Assert.Equal(stopped, gap.CallerAccountId);
        Assert.StartsWith($"No CloudTrail files and no KMS events from account {stopped} on 2026-01-25, after KMS events on 24 of the previous 28 days", gap.Title, StringComparison.Ordinal);

        // A copy of the dataset without its ledger (e.g. kms_events/ synced from S3) cannot tell whether files arrived.
        Directory.Delete(Path.Combine(_dataset.Root, DatasetLayout.LedgerDirectory), recursive: true);
        var withoutLedger = Assert.Single(await FindAsync());
        Assert.Equal(stopped, withoutLedger.CallerAccountId);
        Assert.Contains("no ledger", withoutLedger.Title, StringComparison.Ordinal);

        async Task<IReadOnlyList<Finding>> FindAsync()
        {
            using var q = DatasetQuery.Open(_dataset.Root);
            return await CoverageGaps.FindAsync(q, report, new AnalysisOptions(), CancellationToken.None);
        }
    }

    // A folder synced shortly after midnight: each account's first files of the new day hold a few records, most without a
    // KMS event. The day is not over, so no account is "excluding KMS events" or silent; the report says the day is partial.
    [Fact]
    public async Task The_partial_last_day_of_the_data_has_no_coverage_gaps_and_the_report_says_it_is_partial()
    {
        var ledger = new ProcessedObjectLedger(_dataset.Store);
        static SourceIdentity File(string account, int day, string time) => SourceIdentity.ForS3(
            "trail", $"AWSLogs/{account}/CloudTrail/us-east-1/2026/01/{day:00}/{account}_CloudTrail_us-east-1_202601{day:00}T{time}Z_Mu0KsOhtH1ar15ZZ.json.gz", $"e{account}{day}{time}");
        for (var d = 1; d <= 10; d++)
        {
            await _dataset.WriteAsync(new TestEvent("e" + d, TestBatch.Utc(2026, 1, d, 12, 0, 0)));
            await ledger.MarkProcessedAsync([new PublishedSource(File("111122223333", d, "1205"), 10, []), new PublishedSource(File("444455556666", d, "1205"), 10, [])], CancellationToken.None);
        }

        await _dataset.WriteAsync(new TestEvent("e11", TestBatch.Utc(2026, 1, 11, 0, 2, 0)));
        await ledger.MarkProcessedAsync([new PublishedSource(File("111122223333", 11, "0005"), 1, []), new PublishedSource(File("444455556666", 11, "0010"), 0, [])], CancellationToken.None);
        using var q = DatasetQuery.Open(_dataset.Root);

        var partial = await new DailyReportBuilder(new AnalysisOptions(), TimeProvider.System).BuildAsync(q, new DateOnly(2026, 1, 11), CancellationToken.None);
        var after = await new DailyReportBuilder(new AnalysisOptions(), TimeProvider.System).BuildAsync(q, new DateOnly(2026, 1, 12), CancellationToken.None);

        Assert.DoesNotContain(partial.Findings, f => f.Kind == FindingKind.KmsCoverageGap);
        Assert.False(partial.Coverage.ReportDayComplete);
        Assert.Contains(partial.Notes, n => n.StartsWith("The data ends at 2026-01-11 00:10 UTC (the latest log file delivery), before the last hour of 2026-01-11: the day is not complete", StringComparison.Ordinal));
        Assert.Contains(after.Notes, n => n.Contains("For its latest complete day, run the report with --date 2026-01-10", StringComparison.Ordinal));

        // Once the next day's first file is in, the same day is complete and account 444455556666 (files, no KMS) is a gap.
        await ledger.MarkProcessedAsync([new PublishedSource(File("111122223333", 12, "0005"), 1, [])], CancellationToken.None);
        var complete = await new DailyReportBuilder(new AnalysisOptions(), TimeProvider.System).BuildAsync(q, new DateOnly(2026, 1, 11), CancellationToken.None);
        Assert.True(complete.Coverage.ReportDayComplete);
        Assert.Equal("444455556666", Assert.Single(complete.Findings, f => f.Kind == FindingKind.KmsCoverageGap).CallerAccountId);
    }

    [Fact]
    public async Task A_marker_file_shared_by_a_flush_is_read_once_and_files_written_before_the_window_not_at_all()
    {
        var ledger = new ProcessedObjectLedger(_dataset.Store);
        var objects = Enumerable.Range(0, 40).Select(n => new PublishedSource(SourceIdentity.ForS3(
            "trail",
            $"AWSLogs/111122223333/CloudTrail/us-east-1/2026/01/08/111122223333_CloudTrail_us-east-1_20260108T{n / 4:00}{n % 4 * 15:00}Z_Mu0KsOhtH1ar{n:00}ZZ.json.gz",
            "e" + n), 1, [])).ToList();
        await ledger.MarkProcessedAsync(objects.Take(25).ToList(), CancellationToken.None);
        await ledger.MarkProcessedAsync(objects.Skip(25).ToList(), CancellationToken.None);
        var end = new DateOnly(2026, 1, 8);

        var (perDay, filesRead, lastDelivery) = await CoverageGaps.TallyAsync(_dataset.Root, end.AddDays(-28), end, CancellationToken.None);

        Assert.Equal(2, filesRead);
        Assert.Equal(new DateTime(2026, 1, 8, 9, 45, 0, DateTimeKind.Utc), lastDelivery);
        Assert.Equal((40, 40L), perDay[("111122223333", end)]);

        // A marker is written when its log file is ingested, after CloudTrail delivered it: a marker file older than
        // the window (less a margin for clocks) cannot hold a delivery inside it.
        var ledgerFiles = Directory.GetFiles(Path.Combine(_dataset.Root, DatasetLayout.LedgerDirectory), "*.json", SearchOption.AllDirectories);
        foreach (var file in ledgerFiles)
        {
            File.SetLastWriteTimeUtc(file, new DateTime(2025, 12, 1, 0, 0, 0, DateTimeKind.Utc));
        }

        Assert.Equal(0, (await CoverageGaps.TallyAsync(_dataset.Root, end.AddDays(-28), end, CancellationToken.None)).FilesRead);
        Assert.Equal(2, (await CoverageGaps.TallyAsync(_dataset.Root, new DateOnly(2025, 12, 2), end, CancellationToken.None)).FilesRead);
    }
}
