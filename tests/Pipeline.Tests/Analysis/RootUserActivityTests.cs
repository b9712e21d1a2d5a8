using Pipeline.Analysis;
using Pipeline.Query;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Analysis;

/// <summary>KMS calls with an account's root user credentials, as CloudTrail records them.</summary>
public sealed class RootUserActivityTests : TrailDatasetTest
{
    private const string RootIdentity =
        """
        "userIdentity":{"type":"Root","principalId":"111122223333","arn":"arn:aws:iam::111122223333:root","accountId":"111122223333","accessKeyId":"ASIAEXAMPLEROOT","sessionContext":{"attributes":{"creationDate":"2026-01-15T09:58:00Z","mfaAuthenticated":"false"}}}
        """;

    private static string AsRoot(string record, string sourceIp = "198.51.100.77", string account = "111122223333") =>
        System.Text.RegularExpressions.Regex.Replace(record, "\"userIdentity\":\\{.*?\\}\\}\\}", RootIdentity.Trim().Replace("111122223333", account, StringComparison.Ordinal))
            .Replace("203.0.113.10", sourceIp, StringComparison.Ordinal);

    private static string ListKeys(string eventId, string time, string account = "111122223333") =>
        AsRoot(CloudTrailRecords.AssumedRoleDecrypt(eventId, "x", time), account: account)
            .Replace("\"eventName\":\"Decrypt\"", "\"eventName\":\"ListKeys\"", StringComparison.Ordinal);

    [Fact]
    public async Task Root_user_crypto_calls_are_high_a_root_user_new_to_kms_is_medium_and_its_routine_console_listing_is_nothing()
    {
        // Ten days of an application role's Decrypts (history for the newness check), and the root user of 111122223333
        // listing keys on two of them, as a routine console session.
        for (var d = 5; d <= 14; d++)
        {
            Trail.AddLogFile(CloudTrailRecords.Document(CloudTrailRecords.AssumedRoleDecrypt($"app-{d}", "worker", $"2026-01-{d:00}T08:00:00Z")));
        }

        Trail.AddLogFile(CloudTrailRecords.Document(ListKeys("list-5", "2026-01-05T09:00:00Z"), ListKeys("list-12", "2026-01-12T09:00:00Z")));
        Trail.AddLogFile(CloudTrailRecords.Document(
            ListKeys("list-15", "2026-01-15T09:00:00Z"),
            AsRoot(CloudTrailRecords.AssumedRoleDecrypt("root-1", "x", "2026-01-15T10:01:00Z")),
            AsRoot(CloudTrailRecords.AssumedRoleDecrypt("root-2", "x", "2026-01-15T10:02:00Z"), "198.51.100.78"),
            AsRoot(CloudTrailRecords.AssumedRoleDecrypt("root-3", "x", "2026-01-15T10:03:00Z")
                .Replace("\"eventName\":\"Decrypt\",", "\"eventName\":\"Decrypt\",\"errorCode\":\"AccessDeniedException\",\"errorMessage\":\"denied\",", StringComparison.Ordinal)),
            CloudTrailRecords.AssumedRoleDecrypt("app-15", "worker", "2026-01-15T08:00:00Z")));
        Trail.AddLogFile(CloudTrailRecords.Document(ListKeys("other-1", "2026-01-15T11:00:00Z", "444455556666")), account: "444455556666");
        await IngestAsync();

        using var q = DatasetQuery.Open(Data.Root);
        var day = new DateOnly(2026, 1, 15);
        var findings = await RootUserActivity.FindAsync(q, day, new AnalysisOptions(), CancellationToken.None);
        Assert.Equal(2, findings.Count);
        var root = Assert.Single(findings, f => f.Principal == "arn:aws:iam::111122223333:root");
        Assert.Equal(
            (FindingKind.RootUserActivity, Severity.High, CloudTrailRecords.KeyArn, 4L, "111122223333"),
            (root.Kind, root.Severity, root.KeyArn, root.Count, root.CallerAccountId));
        Assert.StartsWith("The root user of account 111122223333 made 3 cryptographic calls (Decrypt) and 1 other KMS call on 1 key", root.Title, StringComparison.Ordinal);
        Assert.Equal(1, (long)root.Details!["failed_calls"]!);
        Assert.True((bool)root.Details["seen_in_lookback"]!);
        Assert.Equal(["198.51.100.77", "198.51.100.78"], root.Details["source_ips"]!.AsArray().Select(n => (string)n!));
        Assert.Equal(["list-15", "root-1", "root-2", "root-3"], root.EventIds);
        var other = Assert.Single(findings, f => f.Principal == "arn:aws:iam::444455556666:root");
        Assert.Equal((Severity.Medium, 1L), (other.Severity, other.Count));
        Assert.StartsWith("The root user of account 444455556666 made its first KMS calls in the 10 days of data (1 call: ListKeys)", other.Title, StringComparison.Ordinal);

        // Without the Decrypts, the first root user's listing is what it does every week: nothing to report.
        Assert.DoesNotContain(
            await RootUserActivity.FindAsync(q, new DateOnly(2026, 1, 12), new AnalysisOptions(), CancellationToken.None),
            f => f.Principal == "arn:aws:iam::111122223333:root");

        // The whole report: the root user is not also a "new principal", and an allowed root user is not reported.
        var report = await new DailyReportBuilder(new AnalysisOptions(), TimeProvider.System).BuildAsync(q, day, CancellationToken.None);
        Assert.Single(report.Findings, f => f.Principal == "arn:aws:iam::111122223333:root");
        Assert.DoesNotContain(report.Findings, f => f.Kind is FindingKind.NewPrincipal or FindingKind.NewPrincipalForKey);
        Assert.Single(await RootUserActivity.FindAsync(q, day, new AnalysisOptions { AllowedPrincipals = ["arn:aws:iam::111122223333:root"] }, CancellationToken.None));
    }

    [Fact]
    public async Task Root_user_reading_objects_through_s3_is_root_activity()
    {
        // The root user downloading SSE-KMS objects: S3 calls Decrypt for it (invokedBy), as the calls of a principal.
        var viaS3 = AsRoot(CloudTrailRecords.AssumedRoleDecrypt("root-s3", "x", "2026-01-15T10:01:00Z"))
            .Replace("\"mfaAuthenticated\":\"false\"}}}", "\"mfaAuthenticated\":\"false\"}},\"invokedBy\":\"s3.amazonaws.com\"}", StringComparison.Ordinal);
        Assert.Contains("\"invokedBy\":\"s3.amazonaws.com\"}", viaS3, StringComparison.Ordinal);
        Trail.AddLogFile(CloudTrailRecords.Document(viaS3));
        await IngestAsync();
        using var q = DatasetQuery.Open(Data.Root);

        var finding = Assert.Single(await RootUserActivity.FindAsync(q, new DateOnly(2026, 1, 15), new AnalysisOptions(), CancellationToken.None));

        Assert.Equal((FindingKind.RootUserActivity, Severity.High, 1L), (finding.Kind, finding.Severity, finding.Count));
    }
}
