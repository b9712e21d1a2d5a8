using System.Globalization;
using System.Text.Json.Nodes;
using Pipeline.Analysis;
using Pipeline.Reporting;

namespace Pipeline.Tests.Reporting;

/// <summary>Report models for rendering tests: a realistic day with two volume spikes, and the same day with hostile strings.</summary>
internal static class ReportModelSamples
{
    public static readonly DateOnly ReportDate = new(2026, 11, 27);

    public const string Org = "111122223333";
    public const string Payments = "222233334444";
    public const string Outsider = "999988887777";

    public const string HostilePrincipal = "arn:aws:iam::1:role/<script>alert(1)</script>|*evil*\u001b[31m\nsecond line";
    public const string HostileKey = "arn:aws:kms:us-east-1:1:key/`rm -rf`|```";
    public const string HostileDetail = "<img src=x onerror=alert(1)>";

    private const string EtlRole = "arn:aws:sts::111122223333:assumed-role/batch-etl/i-0a1b2c3d4e5f67890";
    private const string OpsAdmin = "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_OpsAdmin_3f9a1c2b/alice@example.com";
    private const string LedgerKey = "arn:aws:kms:us-east-1:222233334444:key/7d1f2a9c-4b3e-4c11-9a0e-5e6f7a8b9c0d";
    private const string ArchiveKey = "arn:aws:kms:us-east-1:111122223333:key/0b9c8d7e-6f5a-4b3c-8d2e-1f0a9b8c7d6e";

    public static ReportModel Realistic()
    {
        var findings = new List<Finding>
        {
            new()
            {
                Kind = FindingKind.KeyDeletionScheduled, Severity = Severity.Critical, Title = "Deletion scheduled for key alias/payments-ledger",
                Principal = OpsAdmin, KeyArn = LedgerKey, CallerAccountId = Org, KeyAccountId = Payments, EventName = "ScheduleKeyDeletion", Count = 1,
                FirstSeen = At(14, 2, 11), LastSeen = At(14, 2, 11),
                Details = new JsonObject { ["pending_window_days"] = 7, ["key_alias"] = "alias/payments-ledger", ["key_state_after"] = "PendingDeletion" },
                EventIds = ["5c1e0b7a-3d2f-4e8a-9b6c-0d1e2f3a4b5c"],
            },
            new()
            {
                Kind = FindingKind.DecryptVolumeAnomaly, Severity = Severity.High, Title = "Decrypt volume 4x baseline for batch-etl on payments-ledger",
                Principal = EtlRole, KeyArn = LedgerKey, CallerAccountId = Org, KeyAccountId = Payments, EventName = "Decrypt", Count = 4810,
                BaselineMean = 1180.5, BaselineStdDev = 96.2, ZScore = 37.73, PValue = 2.1e-12, FirstSeen = At(0, 0, 3), LastSeen = At(23, 59, 41),
                Details = new JsonObject
                {
                    ["window"] = new JsonObject { ["start"] = "2026-10-30", ["end"] = "2026-11-26" },
                    ["ratio_to_mean"] = 4.07,
                    ["peak_hour"] = new JsonObject { ["hour"] = 3, ["calls"] = 1220 },
                },
                EventIds = Enumerable.Range(1, 12).Select(i => string.Create(CultureInfo.InvariantCulture, $"e{i:D2}-7f3a-4c2b-9d1e-000000000000")).ToList(),
            },
            new()
            {
                Kind = FindingKind.CrossAccountDecrypt, Severity = Severity.High, Title = "Decrypt from an account outside the organisation",
                Principal = "arn:aws:sts::999988887777:assumed-role/vendor-sync/worker", KeyArn = ArchiveKey, CallerAccountId = Outsider, KeyAccountId = Org,
                EventName = "Decrypt", Count = 212, FirstSeen = At(9, 12, 0), LastSeen = At(11, 40, 5),
                Details = new JsonObject { ["known_account"] = false, ["source_ips"] = new JsonArray("203.0.113.7", "203.0.113.9") },
                EventIds = ["9a8b7c6d-1111-2222-3333-444455556666", "9a8b7c6d-1111-2222-3333-444455556667"],
            },
            new()
            {
                Kind = FindingKind.GenerateDataKeyVolumeAnomaly, Severity = Severity.Medium, Title = "GenerateDataKey volume above band for s3-writer",
                Principal = "arn:aws:sts::111122223333:assumed-role/s3-writer/lambda", KeyArn = ArchiveKey, CallerAccountId = Org, KeyAccountId = Org,
                EventName = "GenerateDataKey", Count = 980, BaselineMean = 610, BaselineStdDev = 55.4, ZScore = 6.68, PValue = 1.2e-11,
                Details = new JsonObject { ["window"] = new JsonObject { ["start"] = "2026-10-30", ["end"] = "2026-11-26" } },
            },
            new()
            {
                Kind = FindingKind.NewPrincipalForKey, Severity = Severity.Low, Title = "First use of archive key by reporting role",
                Principal = "arn:aws:sts::111122223333:assumed-role/reporting/athena", KeyArn = ArchiveKey, EventName = "Decrypt", Count = 14,
                BaselineMean = 0, BaselineStdDev = 0, ZScore = double.PositiveInfinity,
            },
            new()
            {
                Kind = FindingKind.KmsCoverageGap, Severity = Severity.Info, Title = "No KMS events from us-west-2 between 02:00 and 03:00",
                Details = new JsonObject { ["region"] = "us-west-2", ["gap_minutes"] = 60 },
            },
        };

        return new ReportModel
        {
            ReportDate = ReportDate,
            GeneratedAt = new DateTime(2026, 11, 28, 6, 30, 0, DateTimeKind.Utc),
            Dataset = "/data/kms-events",
            BaselineDays = 28,
            BaselineStart = ReportDate.AddDays(-28),
            BaselineEnd = ReportDate.AddDays(-1),
            Thresholds = new Dictionary<string, double> { ["z_score"] = 4, ["min_count"] = 50, ["p_value"] = 1e-6 },
            KnownAccounts = [Org, Payments],
            Summary = new ReportSummary
            {
                KmsEvents = 182_431, DecryptCalls = 121_880, GenerateDataKeyCalls = 48_210, FailedCalls = 311, Principals = 64, Keys = 23, CallerAccounts = 4,
                FindingsBySeverity = new Dictionary<string, int> { ["critical"] = 1, ["high"] = 2, ["medium"] = 1, ["low"] = 1, ["info"] = 1 },
            },
            Findings = findings,
            Series =
            [
                Series("Decrypt: batch-etl on payments-ledger", 1, 1180.5, 96.2, 4810, seed: 7),
                Series("GenerateDataKey: s3-writer on archive", 3, 610, 55.4, 980, seed: 3),
            ],
            TopPrincipals =
            [
                new(EtlRole, 4810, 1180.5),
                new("arn:aws:sts::111122223333:assumed-role/s3-writer/lambda", 2950, 2710.2),
                new(OpsAdmin, 1320, 1402),
                new("arn:aws:iam::111122223333:user/ci-deployer", 640, 588.1),
                new("arn:aws:sts::999988887777:assumed-role/vendor-sync/worker", 212, 0),
                new("arn:aws:sts::222233334444:assumed-role/ledger-api/task", 180, 240.7),
            ],
            TopKeys =
            [
                new(LedgerKey, 6120, 2580.3),
                new(ArchiveKey, 3300, 3012.8),
                new("arn:aws:kms:eu-west-1:111122223333:key/alias-logs-3c2b1a09", 950, 1001.4),
                new("arn:aws:kms:us-east-1:222233334444:key/mrk-1f2e3d4c5b6a", 120, 96.5),
            ],
            CrossAccountFlows =
            [
                new(Org, Payments, 5980, false),
                new(Payments, Org, 840, false),
                new(Outsider, Org, 212, true),
                new("444455556666", Payments, 37, true),
            ],
        };
    }

    /// <summary>The realistic day with attacker-controlled text wherever CloudTrail or the analysis supplies a string.</summary>
    public static ReportModel Hostile()
    {
        var model = Realistic();
        var findings = model.Findings.ToList();
        findings[0] = findings[0] with
        {
            Title = "Deletion by " + HostilePrincipal,
            Principal = HostilePrincipal,
            KeyArn = HostileKey,
            EventName = "Schedule**KeyDeletion**",
            Details = new JsonObject { ["note"] = HostileDetail, ["nested"] = new JsonObject { ["<b>"] = "a|b\r\nc" } },
            EventIds = ["<script>x</script>", "id|with|pipes"],
        };

        return model with
        {
            Dataset = "s3://bucket/<script>alert('ds')</script>",
            Findings = findings,
            Series = [model.Series[0] with { Title = "Decrypt: " + HostilePrincipal }, model.Series[1]],
            TopPrincipals = [new(HostilePrincipal, 9999, 10), .. model.TopPrincipals],
            TopKeys = [new(HostileKey, 500, 2), .. model.TopKeys],
            CrossAccountFlows = [new("<b>1</b>|\u001b[2J", Org, 3, true), .. model.CrossAccountFlows],
            KnownAccounts = [Org, "\u001b]0;pwned\u0007"],
        };
    }

    /// <summary>28 baseline days around the mean with deterministic noise, then the report day's spike.</summary>
    public static SeriesChart Series(string title, int findingIndex, double mean, double stdDev, long today, int seed)
    {
        var points = new List<SeriesPoint>();
        for (var i = 28; i >= 1; i--)
        {
            var noise = Math.Sin((i * 1.7) + seed) * 1.2 + (Math.Cos(i * 0.61 * seed) * 0.5);
            var weekend = ReportDate.AddDays(-i).DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday ? -1.1 : 0;
            points.Add(new SeriesPoint(ReportDate.AddDays(-i), (long)Math.Round(mean + ((noise + weekend) * stdDev))));
        }

        points.Add(new SeriesPoint(ReportDate, today));
        return new SeriesChart { Title = title, FindingIndex = findingIndex, Points = points, BaselineMean = mean, BaselineStdDev = stdDev, BandZ = 4 };
    }

    /// <summary>A day with nothing to report and nothing to chart.</summary>
    public static ReportModel Empty() => Realistic() with
    {
        Findings = [],
        Series = [],
        TopPrincipals = [],
        TopKeys = [],
        CrossAccountFlows = [],
        Summary = new ReportSummary(),
    };

    private static DateTime At(int h, int m, int s) => new(2026, 11, 27, h, m, s, DateTimeKind.Utc);
}
