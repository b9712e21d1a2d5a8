using Pipeline.Analysis;
using Pipeline.Query;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Analysis;

/// <summary>Which key a ReEncrypt moved data to, however the caller named it.</summary>
public sealed class ExternalReEncryptTests : TrailDatasetTest
{
    private const string LocalDestination = "arn:aws:kms:us-east-1:111122223333:key/0987dcba-09fe-87dc-65ba-ab0987654321";
    private const string OutsideKey = "arn:aws:kms:us-east-1:999988887777:key/55555555-6666-7777-8888-999999999999";
    private const string OutsideAlias = "arn:aws:kms:us-east-1:999988887777:alias/stash";

    private static string ReEncrypt(string eventId, string destinationKeyId, bool destinationInResources = true)
    {
        var record = CloudTrailRecords.ReEncrypt
            .Replace("\"eventID\":\"re-1\"", $"\"eventID\":\"{eventId}\"", StringComparison.Ordinal)
            .Replace($"\"destinationKeyId\":\"{LocalDestination}\"", $"\"destinationKeyId\":\"{destinationKeyId}\"", StringComparison.Ordinal);
        return destinationInResources
            ? record.Replace(LocalDestination, OutsideKey, StringComparison.Ordinal)
            : record.Replace($",{{\"accountId\":\"111122223333\",\"type\":\"AWS::KMS::Key\",\"ARN\":\"{LocalDestination}\"}}", string.Empty, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_destination_named_by_its_alias_ARN_is_the_key_resources_list_and_one_finding_with_the_key_ARN_named()
    {
        // The twelfth independent trail: two ReEncrypts by one user from one key to one outside key, one naming the
        // destination by an alias ARN and one by the key ARN, gave two findings, one of them naming the alias as the key.
        // A call whose record lists no destination key keeps the alias ARN: it still names the account.
        Trail.AddLogFile(CloudTrailRecords.Document(
            ReEncrypt("re-alias", OutsideAlias),
            ReEncrypt("re-key", OutsideKey),
            ReEncrypt("re-alias-only", OutsideAlias, destinationInResources: false)));
        await IngestAsync();

        using var q = DatasetQuery.Open(Data.Root);
        var findings = await PrincipalFindings.ExternalReEncryptsAsync(q, new DateOnly(2026, 1, 15), new AnalysisOptions(), new HashSet<string> { "111122223333" }, CancellationToken.None);

        Assert.Equal(2, findings.Count);
        var byKey = Assert.Single(findings, f => (string?)f.Details!["destination_key"] == OutsideKey);
        Assert.Equal((FindingKind.ReEncryptedToExternalKey, "arn:aws:iam::111122223333:user/alice", CloudTrailRecords.KeyArn, 2L), (byKey.Kind, byKey.Principal, byKey.KeyArn, byKey.Count));
        Assert.Equal(["re-alias", "re-key"], byKey.EventIds.Order(StringComparer.Ordinal));
        var byAlias = Assert.Single(findings, f => (string?)f.Details!["destination_key"] == OutsideAlias);
        Assert.Equal(["re-alias-only"], byAlias.EventIds);
        Assert.All(findings, f => Assert.Equal("999988887777", (string?)f.Details!["destination_account_id"]));
    }
}
