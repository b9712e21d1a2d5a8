using Pipeline.Analysis;
using Pipeline.Query;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Analysis;

/// <summary>What the new-principal findings say about a principal's first calls.</summary>
public sealed class NewPrincipalFindingsTests : TrailDatasetTest
{
    [Fact]
    public async Task The_operations_of_a_principal_new_to_a_key_are_listed_in_name_order_whatever_order_they_came_in()
    {
        // The ninth independent trail's reports differed between two runs on the same dataset only in this list
        // ("Decrypt,GenerateDataKey" and "GenerateDataKey,Decrypt"): a report must read the same every time. Ten days of
        // history: app-role on the key, new-role on another key of the account; then new-role's first calls on the key.
        const string otherKey = "arn:aws:kms:us-east-1:111122223333:key/99999999-8888-7777-6666-555555555555";
        for (var d = 5; d <= 14; d++)
        {
            Trail.AddLogFile(CloudTrailRecords.Document(
                CloudTrailRecords.AssumedRoleDecrypt($"app-{d}", "worker", $"2026-01-{d:00}T08:00:00Z"),
                CloudTrailRecords.AssumedRoleDecrypt($"other-{d}", "job", $"2026-01-{d:00}T09:00:00Z")
                    .Replace("app-role", "new-role", StringComparison.Ordinal).Replace(CloudTrailRecords.KeyArn, otherKey, StringComparison.Ordinal)));
        }

        var firstCalls = Enumerable.Range(0, 30).Select(i =>
        {
            var record = CloudTrailRecords.AssumedRoleDecrypt($"new-{i:00}", "job", $"2026-01-15T10:{i:00}:00Z").Replace("app-role", "new-role", StringComparison.Ordinal);
            return i < 15 ? record.Replace("\"eventName\":\"Decrypt\"", "\"eventName\":\"GenerateDataKey\"", StringComparison.Ordinal) : record;
        });
        Trail.AddLogFile(CloudTrailRecords.Document([.. firstCalls]));
        await IngestAsync();

        // Without an order, DuckDB's parallel aggregation gave either order about as often: asked several times, the
        // list must come back the same each time.
        using var q = DatasetQuery.Open(Data.Root);
        for (var run = 0; run < 8; run++)
        {
            var findings = await PrincipalFindings.NewPrincipalsAsync(q, new DateOnly(2026, 1, 15), new AnalysisOptions(), new HashSet<string> { "111122223333" }, CancellationToken.None);

            var finding = Assert.Single(findings);
            Assert.Equal(FindingKind.NewPrincipalForKey, finding.Kind);
            Assert.EndsWith("used this key for the first time in the 10 days of data (30 calls: Decrypt,GenerateDataKey)", finding.Title, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_root_user_and_a_caller_named_only_by_the_same_account_are_described_as_the_root_user()
    {
        // Both are stored under arn:aws:iam::444455556666:root: the root user's calls, and calls the key owner's copy
        // names only by the caller's account (AWSAccount). The finding said either, depending on which row came first.
        for (var d = 5; d <= 14; d++)
        {
            Trail.AddLogFile(CloudTrailRecords.Document(CloudTrailRecords.AssumedRoleDecrypt($"app-{d}", "worker", $"2026-01-{d:00}T08:00:00Z")));
        }

        const string accountOnly = """
            "userIdentity":{"type":"AWSAccount","principalId":"AROAOUTSIDE:job","accountId":"444455556666"}
            """;
        const string root = """
            "userIdentity":{"type":"Root","principalId":"444455556666","arn":"arn:aws:iam::444455556666:root","accountId":"444455556666","accessKeyId":"ASIAROOT"}
            """;
        string As(string identity, string eventId, string time) =>
            System.Text.RegularExpressions.Regex.Replace(CloudTrailRecords.AssumedRoleDecrypt(eventId, "x", time), "\"userIdentity\":\\{.*?\\}\\}\\}", identity.Trim());
        Trail.AddLogFile(CloudTrailRecords.Document(
            As(accountOnly, "acct-1", "2026-01-15T10:00:00Z"),
            As(accountOnly, "acct-2", "2026-01-15T10:01:00Z"),
            As(root, "root-1", "2026-01-15T10:02:00Z")));
        await IngestAsync();

        using var q = DatasetQuery.Open(Data.Root);
        var findings = await PrincipalFindings.NewPrincipalsAsync(q, new DateOnly(2026, 1, 15), new AnalysisOptions(), new HashSet<string> { "111122223333", "444455556666" }, CancellationToken.None);

        var finding = Assert.Single(findings, f => f.Principal == "arn:aws:iam::444455556666:root");
        Assert.StartsWith("New principal: arn:aws:iam::444455556666:root made its first KMS calls", finding.Title, StringComparison.Ordinal);
    }

    // The fifteenth independent trail: a disaster-recovery day moves an application to the other Region's replica of its
    // multi-Region key. The replica shares the key's id (mrk-...) and material: the role is not new to it. A key of
    // another id is still a first use.
    [Fact]
    public async Task A_principal_moving_to_a_replica_of_its_multi_region_key_is_not_new_to_it_while_another_key_is_new()
    {
        const string primary = "arn:aws:kms:us-east-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab";
        const string otherKey = "arn:aws:kms:eu-west-1:111122223333:key/mrk-99999999aaaabbbbccccddddeeeeffff";
        for (var d = 5; d <= 14; d++)
        {
            Trail.AddLogFile(CloudTrailRecords.Document(CloudTrailRecords.AssumedRoleDecrypt($"app-{d}", "worker", $"2026-01-{d:00}T08:00:00Z").Replace(CloudTrailRecords.KeyArn, primary, StringComparison.Ordinal)));
        }

        Trail.AddLogFile(CloudTrailRecords.Document(
            CloudTrailRecords.AssumedRoleDecrypt("replica-1", "worker", "2026-01-15T08:00:00Z").Replace(CloudTrailRecords.KeyArn, CloudTrailRecords.MrkKeyArn, StringComparison.Ordinal),
            CloudTrailRecords.AssumedRoleDecrypt("other-1", "worker", "2026-01-15T09:00:00Z").Replace(CloudTrailRecords.KeyArn, otherKey, StringComparison.Ordinal)));
        await IngestAsync();
        using var q = DatasetQuery.Open(Data.Root);

        var findings = await PrincipalFindings.NewPrincipalsAsync(q, new DateOnly(2026, 1, 15), new AnalysisOptions(), new HashSet<string> { "111122223333" }, CancellationToken.None);

        var finding = Assert.Single(findings);
        Assert.Equal((FindingKind.NewPrincipalForKey, otherKey), (finding.Kind, finding.KeyArn));
    }
}
