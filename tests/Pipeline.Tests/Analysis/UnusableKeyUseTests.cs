using Pipeline.Analysis;
using Pipeline.Query;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Analysis;

/// <summary>Calls refused because their key is pending deletion or disabled, as CloudTrail records them.</summary>
public sealed class UnusableKeyUseTests : TrailDatasetTest
{
    private const string PendingKeyArn = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    private const string DisabledKeyArn = "arn:aws:kms:us-east-1:111122223333:key/0987dcba-09fe-87dc-65ba-ab0987654321";

    private static string Failed(string eventId, string session, string keyArn, string errorCode, string errorMessage) =>
        CloudTrailRecords.AssumedRoleDecrypt(eventId, session, "2026-01-15T10:05:12Z")
            .Replace("\"eventName\":\"Decrypt\",", $"\"eventName\":\"Decrypt\",\"errorCode\":\"{errorCode}\",\"errorMessage\":\"{errorMessage}\",", StringComparison.Ordinal)
            .Replace(CloudTrailRecords.KeyArn, keyArn, StringComparison.Ordinal);

    [Fact]
    public async Task Calls_refused_by_a_key_pending_deletion_or_disabled_are_one_finding_per_key()
    {
        var records = Enumerable.Range(0, 12).Select(i => Failed($"p-{i}", "batch", PendingKeyArn, "KMSInvalidStateException", $"{PendingKeyArn} is pending deletion."))
            .Append(Failed("d-1", "batch", DisabledKeyArn, "DisabledException", $"{DisabledKeyArn} is disabled."))
            .Append(Failed("d-2", "other", DisabledKeyArn, "DisabledException", $"{DisabledKeyArn} is disabled.").Replace("app-role", "other-role", StringComparison.Ordinal))
            .Append(Failed("a-1", "batch", PendingKeyArn, "AccessDeniedException", "not allowed"))
            .Append(CloudTrailRecords.AssumedRoleDecrypt("ok-1"));
        Trail.AddLogFile(CloudTrailRecords.Document([.. records]));
        await IngestAsync();

        using var q = DatasetQuery.Open(Data.Root);
        var findings = await UnusableKeyUse.FindAsync(q, new DateOnly(2026, 1, 15), new AnalysisOptions(), CancellationToken.None);

        Assert.Equal(2, findings.Count);
        var pending = Assert.Single(findings, f => f.KeyArn == PendingKeyArn);
        Assert.Equal((FindingKind.UnusableKeyInUse, Severity.High, 12L, "arn:aws:iam::111122223333:role/service-role/app-role"), (pending.Kind, pending.Severity, pending.Count, pending.Principal));
        Assert.StartsWith("12 calls by arn:aws:iam::111122223333:role/service-role/app-role failed because the key is pending deletion", pending.Title, StringComparison.Ordinal);
        Assert.Equal(10, pending.EventIds.Count);
        var disabled = Assert.Single(findings, f => f.KeyArn == DisabledKeyArn);
        Assert.Equal((Severity.Medium, 2L, null), (disabled.Severity, disabled.Count, disabled.Principal));
        Assert.Equal("disabled", (string?)disabled.Details["key_state"]);
    }

    [Fact]
    public async Task A_refused_key_management_call_on_an_unusable_key_is_not_something_using_it()
    {
        // Terraform scheduling the deletion of a key already pending deletion, someone trying to re-enable rotation on a
        // disabled key: KMS refuses them with the same errors, but nothing depends on the key.
        string Admin(string id, string operation, string keyArn, string code, string message) =>
            Failed(id, "terraform", keyArn, code, message).Replace("\"eventName\":\"Decrypt\"", $"\"eventName\":\"{operation}\"", StringComparison.Ordinal);
        Trail.AddLogFile(CloudTrailRecords.Document(
            Admin("s-1", "ScheduleKeyDeletion", PendingKeyArn, "KMSInvalidStateException", $"{PendingKeyArn} is pending deletion."),
            Admin("e-1", "EnableKeyRotation", DisabledKeyArn, "DisabledException", $"{DisabledKeyArn} is disabled."),
            Admin("g-1", "GenerateDataKey", DisabledKeyArn, "DisabledException", $"{DisabledKeyArn} is disabled.")));
        await IngestAsync();

        using var q = DatasetQuery.Open(Data.Root);
        var findings = await UnusableKeyUse.FindAsync(q, new DateOnly(2026, 1, 15), new AnalysisOptions(), CancellationToken.None);

        var finding = Assert.Single(findings);
        Assert.Equal((DisabledKeyArn, 1L, "GenerateDataKey"), (finding.KeyArn, finding.Count, finding.EventName));
    }
}
