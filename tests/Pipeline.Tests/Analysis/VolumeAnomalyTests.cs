using Pipeline.Analysis;
using Pipeline.Query;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Analysis;

/// <summary>
/// Volume anomalies beyond a day's Decrypt count: calls packed into one hour (against the busiest hours of the baseline
/// days), and the other operations that use a key's secret material.
/// </summary>
public sealed class VolumeAnomalyTests : TrailDatasetTest
{
    private const string App = "arn:aws:iam::111122223333:role/service-role/app-role";
    private const string Batch = "arn:aws:iam::111122223333:role/service-role/batch-role";
    private const string AppKey = "arn:aws:kms:us-east-1:111122223333:key/22222222-3333-4444-5555-666666666666";

    private static readonly DateOnly Day = new(2026, 1, 15);
    private static IEnumerable<string> Calls(string prefix, DateOnly date, int hour, int count, bool batch = false) =>
        Enumerable.Range(0, count).Select(i =>
        {
            var record = CloudTrailRecords.AssumedRoleDecrypt($"{prefix}-{date:MMdd}-{hour:00}-{i}", "s", $"{date:yyyy-MM-dd}T{hour:00}:{i % 60:00}:{i / 60 % 60:00}Z");
            return batch ? record.Replace("app-role", "batch-role", StringComparison.Ordinal) : record;
        });

    // The application decrypts twice an hour, every hour (48 a day); on the report day 24 more calls come in one hour.
    // The day's 72 is no anomaly by its Poisson tail (48 ± 7); the hour's 26 against busiest hours of 2 is. A nightly
    // batch job that runs an hour late (100 calls at 04:00 instead of 02:00) is its usual busiest hour.
    [Fact]
    public async Task A_burst_packed_into_one_hour_is_reported_and_a_batch_job_running_late_is_not()
    {
        for (var d = 10; d >= 0; d--)
        {
            var date = Day.AddDays(-d);
            var records = Enumerable.Range(0, 24).SelectMany(h => Calls("app", date, h, h == 3 && d == 0 ? 26 : 2))
                .Concat(Calls("batch", date, d == 0 ? 4 : 2, 100, batch: true));
            Trail.AddLogFile(CloudTrailRecords.Document([.. records]));
        }

        await IngestAsync();

        using var q = DatasetQuery.Open(Data.Root);
        var findings = await VolumeAnomalies.FindAsync(q, Day, new AnalysisOptions(), CancellationToken.None);

        var (burst, chart) = Assert.Single(findings);
        Assert.Equal((FindingKind.DecryptVolumeAnomaly, App, CloudTrailRecords.KeyArn, 26L), (burst.Kind, burst.Principal, burst.KeyArn, burst.Count));
        Assert.Equal(2, burst.BaselineMean);
        Assert.Equal("busiest_hour", (string?)burst.Details!["granularity"]);
        Assert.Equal(3, (int)burst.Details["hour_utc"]!);
        Assert.Equal(72, (int)burst.Details["day_calls"]!);
        Assert.StartsWith($"Decrypt by {App} on {CloudTrailRecords.KeyArn}: 26 calls between 03:00 and 04:00 UTC vs a busiest hour of 2.0", burst.Title, StringComparison.Ordinal);
        Assert.Equal(10, burst.EventIds.Count);
        Assert.All(burst.EventIds, id => Assert.StartsWith("app-0115-03-", id, StringComparison.Ordinal));
        Assert.Equal(11, chart.Points.Count);
        Assert.Equal(26, chart.Points[^1].Count);
    }

    private static IEnumerable<string> OperationCalls(string operation, DateOnly date, int count) =>
        Enumerable.Range(0, count).Select(i =>
            CloudTrailRecords.AssumedRoleDecrypt($"{operation}-{date:MMdd}-{i}", "s", $"{date:yyyy-MM-dd}T{i % 24:00}:{i / 24 % 60:00}:00Z")
                .Replace("\"eventName\":\"Decrypt\"", $"\"eventName\":\"{operation}\"", StringComparison.Ordinal));

    // Ten days of an application signing about 20 times a day and verifying as often, with a steady Decrypt; on the
    // report day it signs 300 times (a signing key used to sign what it should not) and verifies 300 times.
    [Fact]
    public async Task A_sign_spike_is_a_crypto_volume_anomaly_while_a_verify_spike_is_not_scored()
    {
        for (var d = 10; d >= 0; d--)
        {
            var date = Day.AddDays(-d);
            var spike = d == 0 ? 300 : 18 + (d % 5);
            Trail.AddLogFile(CloudTrailRecords.Document([.. OperationCalls("Sign", date, spike), .. OperationCalls("Verify", date, spike), .. OperationCalls("Decrypt", date, 20)]));
        }

        await IngestAsync();
        using var q = DatasetQuery.Open(Data.Root);

        var findings = await VolumeAnomalies.FindAsync(q, Day, new AnalysisOptions(), CancellationToken.None);

        var (finding, chart) = Assert.Single(findings);
        Assert.Equal(
            (FindingKind.CryptoVolumeAnomaly, "Sign", App, CloudTrailRecords.KeyArn, 300L, Severity.High),
            (finding.Kind, finding.EventName, finding.Principal, finding.KeyArn, finding.Count, finding.Severity));
        Assert.StartsWith($"Sign by {App} on {CloudTrailRecords.KeyArn}: 300 calls vs ", finding.Title, StringComparison.Ordinal);
        Assert.All(finding.EventIds, id => Assert.StartsWith("Sign-0115-", id, StringComparison.Ordinal));
        Assert.Equal(300, chart.Points[^1].Count);
    }

    // Ten days of 10 Decrypts a day by the application; on the report day 11 of its own and 60 more by it through the
    // caller given, recorded in its own account's trail: SSM Parameter Store decrypting the SecureString parameters a
    // principal reads is recorded as the principal's Decrypt with invokedBy "AWS Internal" (Stratus Red Team's published
    // detonation of that theft), and S3 reading objects for it with invokedBy s3.amazonaws.com: both are its use.
    [Theory]
    [InlineData("AWS Internal")]
    [InlineData("s3.amazonaws.com")]
    public async Task Calls_made_for_the_principal_in_its_own_account_count_in_its_volume_even_by_AWS_internal_callers(string invokedBy)
    {
        for (var d = 10; d >= 0; d--)
        {
            var date = Day.AddDays(-d);
            var invoked = d == 0
                ? OperationCalls("Decrypt", date, 60).Select(r => r
                    .Replace("Decrypt-", "invoked-", StringComparison.Ordinal)
                    .Replace("\"userIdentity\":{", $"\"userIdentity\":{{\"invokedBy\":\"{invokedBy}\",", StringComparison.Ordinal))
                : [];
            Trail.AddLogFile(CloudTrailRecords.Document([.. OperationCalls("Decrypt", date, d == 0 ? 11 : 10), .. invoked]));
        }

        await IngestAsync();
        using var q = DatasetQuery.Open(Data.Root);

        var findings = await VolumeAnomalies.FindAsync(q, Day, new AnalysisOptions(), CancellationToken.None);

        var (finding, _) = Assert.Single(findings);
        Assert.Equal((FindingKind.DecryptVolumeAnomaly, App, CloudTrailRecords.KeyArn, 71L), (finding.Kind, finding.Principal, finding.KeyArn, finding.Count));
    }

    // The same ten days, and AWS services' own Decrypts on the key, 20 a day and then 300 on the report day: DynamoDB's
    // own calls (a service identity), or CloudTrail's own account (a user of AWS's account 086441151436, invokedBy
    // internal.amazonaws.com, recorded only in the key owner's trail). AWS's own work: neither a series of its own nor
    // more use of the key.
    [Theory]
    [InlineData("{\"type\":\"AWSService\",\"invokedBy\":\"dynamodb.amazonaws.com\"}", null)]
    [InlineData("{\"type\":\"IAMUser\",\"principalId\":\"AIDACKCEVSQ6C2EXAMPLE\",\"arn\":\"arn:aws:iam::086441151436:user/AWSCloudTrail\",\"accountId\":\"086441151436\",\"userName\":\"AWSCloudTrail\",\"invokedBy\":\"internal.amazonaws.com\"}", "086441151436")]
    public async Task AWS_services_own_calls_make_no_volume_anomaly(string identity, string? callerAccount)
    {
        for (var d = 10; d >= 0; d--)
        {
            var date = Day.AddDays(-d);
            var aws = OperationCalls("Decrypt", date, d == 0 ? 300 : 20).Select(r => r
                .Replace("Decrypt-", "aws-", StringComparison.Ordinal)
                .Replace(
                    r[r.IndexOf("\"userIdentity\":", StringComparison.Ordinal)..(r.IndexOf("\"eventTime\"", StringComparison.Ordinal) - 1)],
                    "\"userIdentity\":" + identity,
                    StringComparison.Ordinal));
            Trail.AddLogFile(CloudTrailRecords.Document([.. OperationCalls("Decrypt", date, 10), .. aws]));
        }

        await IngestAsync();
        using var q = DatasetQuery.Open(Data.Root);
        Assert.Equal(300L, await q.QueryScalarAsync(
            "SELECT count(*) FROM kms_actions WHERE event_id LIKE 'aws-0115-%' AND key_arn IS NOT NULL AND caller_account_id IS NOT DISTINCT FROM $1", CancellationToken.None, callerAccount));

        var findings = await VolumeAnomalies.FindAsync(q, Day, new AnalysisOptions(), CancellationToken.None);

        Assert.Empty(findings);
    }

    // The fifteenth independent trail: a role a deployment made a week ago (60, 30, 30, 70, 70, 40 and 10 Decrypts on its
    // first seven days) makes 110 on its eighth. Against the 28-day window, 21 days of which are zeros from before it
    // existed, that was a medium (110 vs 11.5/day, z = 4.3); against its own seven days (44.3 ± 22.8) it is ordinary.
    // A role that existed before the window and was dormant for the first three weeks of it is still scored against
    // the whole window: its quiet days are days without calls.
    [Theory]
    [InlineData(false, false)]
    [InlineData(true, true)]
    public async Task A_series_that_began_inside_the_window_is_scored_from_its_first_day(bool existedBefore, bool reported)
    {
        int[] firstWeek = [60, 30, 30, 70, 70, 40, 10];
        for (var d = 40; d >= 0; d--)
        {
            var date = Day.AddDays(-d);
            var app = d == 0 ? 110 : d <= 7 ? firstWeek[7 - d] : existedBefore && d >= 36 ? 40 : 0;
            // The role uses a key of its own; the batch job's key gives the dataset its earlier days.
            Trail.AddLogFile(CloudTrailRecords.Document([
                .. Calls("batch", date, 2, 20, batch: true),
                .. OperationCalls("Decrypt", date, app).Select(r => r.Replace(CloudTrailRecords.KeyArn, AppKey, StringComparison.Ordinal))]));
        }

        await IngestAsync();
        using var q = DatasetQuery.Open(Data.Root);

        var findings = await VolumeAnomalies.FindAsync(q, Day, new AnalysisOptions(), CancellationToken.None);

        if (!reported)
        {
            Assert.Empty(findings);
            return;
        }

        var (finding, _) = Assert.Single(findings);
        Assert.Equal((App, 110L), (finding.Principal, finding.Count));
        Assert.Equal(Day.AddDays(-28).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), (string?)finding.Details!["baseline_start"]);
    }

    // The fifteenth independent trail: a finance job decrypting 25 times a day and 700 times on the last day of the
    // month is high against any 28-day baseline, every month. When it ran a month before too, it is kept, but low; without
    // that earlier run it is high. A daily count of 25 on the day a month before is not a run.
    // A series steady at 100 a day that makes 200 is no monthly run for having made 100 a month before.
    [Theory]
    [InlineData(true, 25, 700, "low")]
    [InlineData(false, 25, 700, "high")]
    [InlineData(false, 100, 200, "high")]
    public async Task A_spike_that_also_came_a_month_before_is_a_monthly_run_and_low(bool ranLastMonth, int usual, int spike, string severity)
    {
        var day = new DateOnly(2026, 1, 31);
        for (var d = 70; d >= 0; d--)
        {
            var date = day.AddDays(-d);
            var monthEnd = date.AddDays(1).Month != date.Month;
            var calls = d == 0 || (monthEnd && ranLastMonth) ? spike : usual;
            Trail.AddLogFile(CloudTrailRecords.Document([.. OperationCalls("Decrypt", date, calls)]));
        }

        await IngestAsync();
        using var q = DatasetQuery.Open(Data.Root);

        var findings = await VolumeAnomalies.FindAsync(q, day, new AnalysisOptions(), CancellationToken.None);

        var (finding, _) = Assert.Single(findings);
        Assert.Equal((FindingKind.DecryptVolumeAnomaly, App, (long)spike, severity), (finding.Kind, finding.Principal, finding.Count, finding.SeverityText));
        if (ranLastMonth)
        {
            Assert.Equal("2025-12-31", (string?)finding.Details!["recurring_monthly"]!["date"]);
            Assert.EndsWith("; as on 2025-12-31 (700 calls): a monthly run?", finding.Title, StringComparison.Ordinal);
        }
        else
        {
            Assert.Null(finding.Details!["recurring_monthly"]);
        }
    }
}
