using System.Globalization;
using Pipeline.Analysis;
using Pipeline.Query;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Analysis;

public sealed class DataCoverageNoteTests
{
    private static readonly DateOnly Day = new(2026, 1, 15);

    private static DataCoverage Coverage(string? first, string? last, int baselineDays, long dayRows) => new()
    {
        FirstEventDate = first is null ? null : DateOnly.Parse(first, CultureInfo.InvariantCulture),
        LastEventDate = last is null ? null : DateOnly.Parse(last, CultureInfo.InvariantCulture),
        BaselineDaysWithEvents = baselineDays,
        ReportDayRows = dayRows,
    };

    [Fact]
    public void A_full_baseline_with_data_on_the_report_day_needs_no_note()
    {
        Assert.Empty(Coverage("2025-11-01", "2026-01-20", 28, 500).Notes(Day, new AnalysisOptions()));
    }

    [Fact]
    public void An_empty_dataset_says_nothing_was_compared()
    {
        var note = Assert.Single(Coverage(null, null, 0, 0).Notes(Day, new AnalysisOptions()));
        Assert.StartsWith("The dataset holds no KMS events at all", note, StringComparison.Ordinal);
    }

    [Fact]
    public void A_report_day_after_the_data_names_the_latest_day_to_report_on()
    {
        var note = Assert.Single(Coverage("2025-12-01", "2026-01-10", 0, 0).Notes(Day, new AnalysisOptions()));
        Assert.Contains("No KMS events are stored for 2026-01-15", note, StringComparison.Ordinal);
        Assert.Contains("run from 2025-12-01 to 2026-01-10", note, StringComparison.Ordinal);
        Assert.Contains("--date 2026-01-10", note, StringComparison.Ordinal);
    }

    [Fact]
    public void A_partial_last_day_of_a_sparse_dataset_names_the_latest_earlier_day_that_has_events()
    {
        // Events on the 5th and on the morning of the 15th only: the 14th is complete but empty, no day to report on.
        var coverage = Coverage("2026-01-05", "2026-01-15", 1, 13) with
        {
            PreviousEventDate = new DateOnly(2026, 1, 5),
            LastEventTime = new DateTime(2026, 1, 15, 10, 1, 0, DateTimeKind.Utc),
        };

        var note = Assert.Single(coverage.Notes(Day, new AnalysisOptions()), n => n.StartsWith("The data ends at", StringComparison.Ordinal));
        Assert.EndsWith("The latest complete day is 2026-01-05.", note, StringComparison.Ordinal);

        // A dataset of that one partial day has no complete day to offer.
        var alone = Coverage("2026-01-15", "2026-01-15", 0, 13) with { LastEventTime = new DateTime(2026, 1, 15, 10, 1, 0, DateTimeKind.Utc) };
        Assert.DoesNotContain(alone.Notes(Day, new AnalysisOptions()), n => n.Contains("latest complete day", StringComparison.Ordinal));
    }

    [Fact]
    public void A_report_day_before_the_data_says_the_data_comes_after_it()
    {
        var note = Assert.Single(Coverage("2026-02-01", "2026-02-20", 0, 0).Notes(Day, new AnalysisOptions()));
        Assert.EndsWith("run from 2026-02-01 to 2026-02-20, after the report day.", note, StringComparison.Ordinal);
    }

    [Fact]
    public void A_first_day_of_data_says_which_checks_had_no_baseline()
    {
        var note = Assert.Single(Coverage("2026-01-15", "2026-01-20", 0, 40).Notes(Day, new AnalysisOptions()));
        Assert.Contains("No KMS events are stored for the 28 days before 2026-01-15", note, StringComparison.Ordinal);
        Assert.Contains("volume anomalies, access-denied and discovery bursts, new principals and coverage gaps were not looked for", note, StringComparison.Ordinal);
    }

    [Fact]
    public void Fewer_days_of_history_than_the_minimum_say_the_volume_and_new_principal_checks_were_skipped()
    {
        var note = Assert.Single(Coverage("2026-01-11", "2026-01-20", 4, 40).Notes(Day, new AnalysisOptions()));
        Assert.StartsWith("Only 4 days of history before 2026-01-15", note, StringComparison.Ordinal);
        Assert.Contains("need 7 days (Report:MinBaselineDays)", note, StringComparison.Ordinal);
    }

    [Fact]
    public void A_dataset_younger_than_the_baseline_window_says_how_many_days_volumes_are_compared_with()
    {
        var note = Assert.Single(Coverage("2026-01-05", "2026-01-20", 10, 40).Notes(Day, new AnalysisOptions()));
        Assert.Contains("compared with the 10 days from 2026-01-05 only", note, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("2025-12-18", "2025-12-18")] // the dataset covers the whole window
    [InlineData("2025-11-01", "2025-12-18")]
    [InlineData("2026-01-05", "2026-01-05")] // it starts inside it
    [InlineData("2026-02-01", "2026-01-15")] // it starts after the report day: never later than the day
    public void The_baseline_starts_at_the_window_or_at_the_first_day_with_data_whichever_is_later(string first, string expected)
    {
        var start = DataCoverage.BaselineStart(Day.AddDays(-28), Day, DateOnly.Parse(first, CultureInfo.InvariantCulture));
        Assert.Equal(DateOnly.Parse(expected, CultureInfo.InvariantCulture), start);
        Assert.Equal(Day.AddDays(-28), DataCoverage.BaselineStart(Day.AddDays(-28), Day, null));
    }
}

/// <summary>A trail ingested for fewer days than the baseline window, through ingest and the report.</summary>
public sealed class ShortDatasetTests : TrailDatasetTest
{
    private void AddDay(DateOnly day, int decrypts)
    {
        var records = Enumerable.Range(0, decrypts)
            .Select(i => CloudTrailRecords.AssumedRoleDecrypt($"{day:yyyyMMdd}-{i}", "worker", $"{day:yyyy-MM-dd}T10:{i / 60:00}:{i % 60:00}Z"))
            .ToArray();
        Trail.AddLogFile(CloudTrailRecords.Document(records));
    }

    // Ten days of data at about 40 Decrypts a day, then 80: against those ten days it is 6 standard deviations; with
    // the eighteen days before the data counted as days without calls the mean falls to ~16 and the spread rises to ~20,
    // and the doubling hid in it (z ≈ 3.3 < 4).
    [Fact]
    public async Task A_trail_younger_than_the_baseline_window_is_compared_with_its_own_days_not_with_zeros_before_it()
    {
        var day = new DateOnly(2026, 1, 15);
        for (var d = 10; d >= 1; d--)
        {
            AddDay(day.AddDays(-d), 38 + (d % 5));
        }

        AddDay(day, 80);
        await IngestAsync();

        using (var q = DatasetQuery.Open(Data.Root))
        {
            var findings = await VolumeAnomalies.FindAsync(q, day, new AnalysisOptions(), CancellationToken.None);
            var pair = Assert.Single(findings, f => f.Finding.Principal == "arn:aws:iam::111122223333:role/service-role/app-role" && f.Finding.KeyArn == CloudTrailRecords.KeyArn);
            Assert.Equal(80, pair.Finding.Count);
            Assert.InRange(pair.Finding.BaselineMean!.Value, 38, 42);
            Assert.Equal("2026-01-05", (string?)pair.Finding.Details!["baseline_start"]);
            Assert.Equal(11, pair.Chart.Points.Count);
        }

        var output = Path.Combine(Data.Root, "report");
        var report = await CliRunner.RunAsync("report", "--data", Data.Root, "--date", "2026-01-15", "--out", output);
        Assert.True(report.ExitCode == 0, report.Error);
        Assert.Contains("note: The baseline is shorter than its 28 days", report.Output, StringComparison.Ordinal);
        Assert.Contains("KMS report for 2026-01-15, baseline 2026-01-05 to 2026-01-14 (10 of the 28 days of the window: the dataset starts on 2026-01-05)", report.Output, StringComparison.Ordinal);
        Assert.Contains("decrypt_volume_anomaly", report.Output, StringComparison.Ordinal);
        Assert.Contains("> **Note:** The baseline is shorter than its 28 days", File.ReadAllText(Path.Combine(output, "report.md")), StringComparison.Ordinal);
        Assert.Contains("class=\"data-notes\"", File.ReadAllText(Path.Combine(output, "report.html")), StringComparison.Ordinal);
        var top = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(output, "report.json")))!["top_principals"]![0]!;
        Assert.InRange((double)top["baseline_mean"]!, 38, 42); // over the ten days there are, not the 28 of the window

        var later = await CliRunner.RunAsync("report", "--data", Data.Root, "--date", "2026-02-20", "--out", output);
        Assert.True(later.ExitCode == 0, later.Error);
        Assert.Contains("findings: none", later.Output, StringComparison.Ordinal);
        // The data of the 15th ends in the morning (its last event at 10:01, its log files named 10:00 to 10:11).
        Assert.Contains("note: The data ends at 2026-01-15 10:", report.Output, StringComparison.Ordinal);
        Assert.Contains("before the last hour of 2026-01-15: the day is not complete, so its counts are partial and coverage gaps were not looked for", report.Output, StringComparison.Ordinal);
        Assert.Contains("note: No KMS events are stored for 2026-02-20: the dataset's KMS events run from 2026-01-05 to 2026-01-15. For its latest complete day, run the report with --date 2026-01-14", later.Output, StringComparison.Ordinal);
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(output, "report.json")))!;
        Assert.Equal("2026-01-15", (string?)json["data_coverage"]!["last_event_date"]);
        Assert.Single(json["notes"]!.AsArray());

        // On the dataset's first day nothing comes before it: no baseline range at all, not one that ends before it starts.
        var first = await CliRunner.RunAsync("report", "--data", Data.Root, "--date", "2026-01-05", "--out", output);
        Assert.True(first.ExitCode == 0, first.Error);
        Assert.Contains("baseline none (no data before the report day; window 28 days)", first.Output, StringComparison.Ordinal);
        var firstJson = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(output, "report.json")))!;
        Assert.Null(firstJson["baseline_start"]);
        Assert.Null(firstJson["baseline_end"]);
    }

    // An inventory job describing keys 30 times a day, on the first two days of the dataset: against 27 days of zeros
    // before the data its second day would be a burst (z ≈ 5); against the one day there is, it is its usual count. On
    // the first day there is nothing to compare with.
    [Fact]
    public async Task A_routine_discovery_job_on_the_first_two_days_of_a_dataset_is_not_a_burst()
    {
        var day = new DateOnly(2026, 1, 15);
        foreach (var d in new[] { day.AddDays(-1), day })
        {
            var records = Enumerable.Range(0, 30)
                .Select(i => CloudTrailRecords.AssumedRoleDecrypt($"describe-{d:yyyyMMdd}-{i}", "inventory", $"{d:yyyy-MM-dd}T06:00:{i:00}Z")
                    .Replace("\"eventName\":\"Decrypt\"", "\"eventName\":\"DescribeKey\"", StringComparison.Ordinal))
                .ToArray();
            Trail.AddLogFile(CloudTrailRecords.Document(records));
        }

        await IngestAsync();

        using var q = DatasetQuery.Open(Data.Root);
        Assert.Empty(await DiscoveryBursts.FindAsync(q, day, new AnalysisOptions(), CancellationToken.None));
        Assert.Empty(await DiscoveryBursts.FindAsync(q, day.AddDays(-1), new AnalysisOptions(), CancellationToken.None)); // its first day has nothing to compare with
    }

    // The fifteenth independent trail: a key-rotation script lists and describes the keys on the first of every month,
    // 17 calls against none on other days, a high burst every month. With its run a month before it is a monthly run,
    // low; its first run is still high.
    [Fact]
    public async Task A_discovery_burst_that_came_a_month_before_too_is_a_monthly_run_and_low()
    {
        var first = new DateOnly(2025, 11, 20);
        var day = new DateOnly(2026, 1, 1);
        for (var date = first; date <= day; date = date.AddDays(1))
        {
            var n = date.Day == 1 ? 17 : 0;
            var records = Enumerable.Range(0, n)
                .Select(i => CloudTrailRecords.AssumedRoleDecrypt($"rotate-{date:yyyyMMdd}-{i}", "rotation", $"{date:yyyy-MM-dd}T03:00:{i:00}Z")
                    .Replace("\"eventName\":\"Decrypt\"", "\"eventName\":\"DescribeKey\"", StringComparison.Ordinal))
                .Append(CloudTrailRecords.AssumedRoleDecrypt($"app-{date:yyyyMMdd}", "worker", $"{date:yyyy-MM-dd}T12:00:00Z").Replace("app-role", "other-role", StringComparison.Ordinal))
                .ToArray();
            Trail.AddLogFile(CloudTrailRecords.Document(records));
        }

        await IngestAsync();
        using var q = DatasetQuery.Open(Data.Root);

        var firstRun = Assert.Single(await DiscoveryBursts.FindAsync(q, new DateOnly(2025, 12, 1), new AnalysisOptions(), CancellationToken.None));
        var monthly = Assert.Single(await DiscoveryBursts.FindAsync(q, day, new AnalysisOptions(), CancellationToken.None));

        Assert.Equal(("high", 17L), (firstRun.SeverityText, firstRun.Count));
        Assert.Equal(("low", 17L), (monthly.SeverityText, monthly.Count));
        Assert.Equal("2025-12-01", (string?)monthly.Details!["recurring_monthly"]!["date"]);
        Assert.EndsWith("; as on 2025-12-01 (17 list/describe KMS calls): a monthly run?", monthly.Title, StringComparison.Ordinal);
    }

    // A CI role's routine DescribeKey calls (2, 14, then 2 a day) were a high burst on the dataset's second day, "vs 2.0/day"
    // from one baseline day, while the report's note said behaviour needs 7 days. With 8 days of 2 a day, 20 is a burst.
    [Fact]
    public async Task Discovery_bursts_are_scored_once_the_dataset_has_the_minimum_baseline_days()
    {
        var first = new DateOnly(2026, 1, 1);
        for (var d = 0; d < 10; d++)
        {
            var date = first.AddDays(d);
            var n = d switch { 1 => 14, 9 => 20, _ => 2 };
            Trail.AddLogFile(CloudTrailRecords.Document(Enumerable.Range(0, n)
                .Select(i => CloudTrailRecords.AssumedRoleDecrypt($"ci-{d}-{i}", "ci", $"{date:yyyy-MM-dd}T08:00:{i:00}Z")
                    .Replace("\"eventName\":\"Decrypt\"", "\"eventName\":\"DescribeKey\"", StringComparison.Ordinal))
                .ToArray()));
        }

        await IngestAsync();
        using var q = DatasetQuery.Open(Data.Root);

        Assert.Empty(await DiscoveryBursts.FindAsync(q, first.AddDays(1), new AnalysisOptions(), CancellationToken.None));
        var burst = Assert.Single(await DiscoveryBursts.FindAsync(q, first.AddDays(9), new AnalysisOptions(), CancellationToken.None));
        Assert.Equal(20, burst.Count);
        Assert.Contains(": 20 list/describe KMS calls on 1 key vs ", burst.Title, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_discovery_burst_of_calls_that_name_no_key_does_not_speak_of_0_keys()
    {
        // ListKeys and ListAliases name no key: the title said "30 list/describe KMS calls on 0 keys".
        var first = new DateOnly(2026, 1, 1);
        for (var d = 0; d < 10; d++)
        {
            var date = first.AddDays(d);
            var n = d == 9 ? 20 : 2;
            Trail.AddLogFile(CloudTrailRecords.Document(Enumerable.Range(0, n)
                .Select(i => System.Text.RegularExpressions.Regex.Replace(
                    CloudTrailRecords.AssumedRoleDecrypt($"lk-{d}-{i}", "inventory", $"{date:yyyy-MM-dd}T08:00:{i:00}Z"),
                    "\"resources\":\\[[^\\]]*\\],", string.Empty)
                    .Replace("\"eventName\":\"Decrypt\"", "\"eventName\":\"ListKeys\"", StringComparison.Ordinal))
                .ToArray()));
        }

        await IngestAsync();
        using var q = DatasetQuery.Open(Data.Root);

        Assert.Equal(0L, await q.QueryScalarAsync("SELECT count(key_arn) FROM kms_events WHERE event_name = 'ListKeys'", CancellationToken.None));
        var burst = Assert.Single(await DiscoveryBursts.FindAsync(q, first.AddDays(9), new AnalysisOptions(), CancellationToken.None));
        Assert.Contains(": 20 list/describe KMS calls vs ", burst.Title, StringComparison.Ordinal);
        Assert.DoesNotContain("0 keys", burst.Title, StringComparison.Ordinal);
    }
}
