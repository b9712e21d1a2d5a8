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

    // Principals as the report names them: an assumed-role session folded into its role (DOMAIN.md).
    private const string EtlRole = "arn:aws:iam::111122223333:role/batch-etl";
    private const string OpsAdmin = "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_OpsAdmin_3f9a1c2b5d7e9f01";
    private const string S3Writer = "arn:aws:iam::111122223333:role/s3-writer";
    private const string VendorSync = "arn:aws:iam::999988887777:role/vendor-sync";
    private const string LedgerKey = "arn:aws:kms:us-east-1:222233334444:key/7d1f2a9c-4b3e-4c11-9a0e-5e6f7a8b9c0d";
    private const string ArchiveKey = "arn:aws:kms:us-east-1:111122223333:key/0b9c8d7e-6f5a-4b3c-8d2e-1f0a9b8c7d6e";
    private const string TestKey = "arn:aws:kms:eu-west-1:111122223333:key/3c2b1a09-8f7e-4d6c-9b5a-4e3d2c1b0a99";

    /// <summary>A day shaped like the report's own output (titles, details, thresholds as the analysis writes them).</summary>
    public static ReportModel Realistic()
    {
        var findings = new List<Finding>
        {
            new()
            {
                Kind = FindingKind.KeyPolicyChanged, Severity = Severity.Critical, Title = "Key policy changed (PutKeyPolicy): wildcard_principal_without_condition",
                Principal = OpsAdmin, KeyArn = LedgerKey, CallerAccountId = Org, KeyAccountId = Payments, EventName = "PutKeyPolicy", Count = 1,
                FirstSeen = At(14, 2, 11), LastSeen = At(14, 2, 11),
                Details = new JsonObject
                {
                    ["aws_region"] = "us-east-1", ["source_ip_address"] = "198.51.100.23", ["session_name"] = "alice@example.com",
                    ["lint"] = new JsonArray(new JsonObject
                    {
                        ["rule"] = "wildcard_principal_without_condition", ["statement"] = "AllowAll",
                        ["detail"] = "Principal \"*\" with kms:* and no condition: anyone in any account may use the key",
                    }),
                    ["principal_new_to_kms"] = false,
                },
                EventIds = ["5c1e0b7a-3d2f-4e8a-9b6c-0d1e2f3a4b5c"],
            },
            new()
            {
                Kind = FindingKind.DecryptVolumeAnomaly, Severity = Severity.High,
                Title = $"Decrypt by {EtlRole} on {LedgerKey}: 4,810 calls vs 1,180.5/day weekday baseline (z = 37.7)",
                Principal = EtlRole, KeyArn = LedgerKey, CallerAccountId = Org, KeyAccountId = Payments, EventName = "Decrypt", Count = 4810,
                BaselineMean = 1180.5, BaselineStdDev = 96.2, ZScore = 37.73, PValue = 2.1e-12, FirstSeen = At(0, 0, 3), LastSeen = At(23, 59, 41),
                Details = new JsonObject
                {
                    ["dimension"] = "principal_key", ["baseline_start"] = "2026-10-30", ["baseline_end"] = "2026-11-26",
                    ["baseline_points"] = 20, ["weekday_matched"] = true, ["floored_stddev"] = 96.2,
                },
                EventIds = Enumerable.Range(1, 12).Select(i => string.Create(CultureInfo.InvariantCulture, $"e{i:D2}-7f3a-4c2b-9d1e-000000000000")).ToList(),
            },
            new()
            {
                Kind = FindingKind.CrossAccountDecrypt, Severity = Severity.High,
                Title = $"Account {Outsider} (outside the known accounts) decrypted with a key of account {Org}",
                Principal = VendorSync, KeyArn = ArchiveKey, CallerAccountId = Outsider, KeyAccountId = Org,
                EventName = "Decrypt", Count = 212, FirstSeen = At(9, 12, 0), LastSeen = At(11, 40, 5),
                Details = new JsonObject
                {
                    ["decrypt_calls"] = 212, ["failed_calls"] = 0, ["days_seen_before"] = 0, ["lookback_days"] = 90, ["operations"] = "Decrypt",
                    ["principals"] = new JsonArray(VendorSync),
                },
                EventIds = ["9a8b7c6d-1111-2222-3333-444455556666", "9a8b7c6d-1111-2222-3333-444455556667"],
            },
            new()
            {
                Kind = FindingKind.GenerateDataKeyVolumeAnomaly, Severity = Severity.Medium,
                Title = $"GenerateDataKey by {S3Writer} on {ArchiveKey}: 980 calls vs 610.0/day weekday baseline (z = 6.7)",
                Principal = S3Writer, KeyArn = ArchiveKey, CallerAccountId = Org, KeyAccountId = Org,
                EventName = "GenerateDataKey*", Count = 980, BaselineMean = 610, BaselineStdDev = 55.4, ZScore = 6.68, PValue = 1.2e-11,
                Details = new JsonObject { ["dimension"] = "principal_key", ["baseline_start"] = "2026-10-30", ["baseline_end"] = "2026-11-26", ["weekday_matched"] = true },
            },
            new()
            {
                // Low as with Report:SeverityOverrides {"new_principal_for_key": "low"}. No baseline and an infinite z: the
                // writers must render both without NaN or Infinity.
                Kind = FindingKind.NewPrincipalForKey, Severity = Severity.Low,
                Title = "arn:aws:iam::111122223333:role/reporting used this key for the first time in 90 days (14 calls: Decrypt)",
                Principal = "arn:aws:iam::111122223333:role/reporting", KeyArn = ArchiveKey, CallerAccountId = Org, KeyAccountId = Org, EventName = "Decrypt", Count = 14,
                BaselineMean = 0, BaselineStdDev = 0, ZScore = double.PositiveInfinity,
            },
            new()
            {
                Kind = FindingKind.KeyDeletionCancelled, Severity = Severity.Info, Title = "Key deletion cancelled",
                Principal = OpsAdmin, KeyArn = TestKey, CallerAccountId = Org, KeyAccountId = Org, EventName = "CancelKeyDeletion", Count = 1,
                FirstSeen = At(16, 45, 2), LastSeen = At(16, 45, 2),
                Details = new JsonObject { ["aws_region"] = "eu-west-1", ["session_name"] = "bob@example.com" },
                EventIds = ["0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b"],
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
            Thresholds = new Dictionary<string, double>
            {
                ["z_threshold"] = 4, ["min_count"] = 10, ["min_stddev"] = 1, ["poisson_stddev_factor"] = 1, ["max_p_value"] = 1e-6,
                ["min_baseline_days"] = 7, ["min_failed_calls"] = 20, ["new_principal_lookback_days"] = 90, ["weekday_aware"] = 1,
            },
            KnownAccounts = [Org, Payments],
            Summary = new ReportSummary
            {
                KmsEvents = 182_431, DecryptCalls = 121_880, GenerateDataKeyCalls = 48_210, FailedCalls = 311, Principals = 64, Keys = 23, CallerAccounts = 4,
                FindingsBySeverity = new Dictionary<string, int> { ["critical"] = 1, ["high"] = 2, ["medium"] = 1, ["low"] = 1, ["info"] = 1 },
            },
            Findings = findings,
            Series =
            [
                Series($"Decrypt by {EtlRole} on {LedgerKey}", 1, 1180.5, 96.2, 4810, seed: 7),
                Series($"GenerateDataKey by {S3Writer} on {ArchiveKey}", 3, 610, 55.4, 980, seed: 3),
            ],
            TopPrincipals =
            [
                new(EtlRole, 4810, 1180.5),
                new(S3Writer, 2950, 2710.2),
                new(OpsAdmin, 1320, 1402),
                new("arn:aws:iam::111122223333:user/ci-deployer", 640, 588.1),
                new(VendorSync, 212, 0),
                new("arn:aws:iam::222233334444:role/ledger-api", 180, 240.7),
            ],
            TopKeys =
            [
                new(LedgerKey, 6120, 2580.3),
                new(ArchiveKey, 3300, 3012.8),
                new(TestKey, 950, 1001.4),
                new("arn:aws:kms:us-east-1:222233334444:key/mrk-1f2e3d4c5b6a7980a1b2c3d4e5f60718", 120, 96.5),
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
