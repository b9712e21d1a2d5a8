using System.Globalization;
using System.Text.Json;

namespace Pipeline.Tests.Generation;

public sealed class ManifestTests(GeneratedArchiveFixture archive) : IClassFixture<GeneratedArchiveFixture>
{
    [Fact]
    public void Manifest_counts_equal_counts_recomputed_from_the_files()
    {
        var m = archive.Manifest;
        var kms = archive.Records.Select(x => x.Record).Where(r => r.GetProperty("eventSource").GetString() == "kms.amazonaws.com").ToList();
        var distinct = kms.GroupBy(r => r.GetProperty("eventID").GetString()).Select(g => g.First()).ToList();

        Assert.Equal(archive.Records.Count, m.Records);
        Assert.Equal(kms.Count, m.KmsRecords);
        Assert.Equal(distinct.Count, m.DistinctKmsEventIds);
        Assert.Equal(kms.Select(r => r.TryGetProperty("sharedEventID", out var s) ? s.GetString() : r.GetProperty("eventID").GetString()).Distinct().Count(), m.DistinctKmsActions);

        var byDate = distinct.GroupBy(r => r.GetProperty("eventTime").GetDateTimeOffset().UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture))
            .ToDictionary(g => g.Key, g => (long)g.Count());
        Assert.Equal(byDate.OrderBy(x => x.Key, StringComparer.Ordinal), m.KmsEventIdsByDate);

        var decrypts = distinct.Where(r => r.GetProperty("eventName").GetString() == "Decrypt").ToList();
        var byPrincipal = decrypts.GroupBy(Normalise).ToDictionary(g => g.Key, g => (long)g.Count());
        Assert.Equal(byPrincipal.OrderBy(x => x.Key, StringComparer.Ordinal), m.DecryptByPrincipal);

        var byKey = decrypts.Where(r => r.TryGetProperty("resources", out _))
            .GroupBy(r => r.GetProperty("resources")[0].GetProperty("ARN").GetString()!)
            .ToDictionary(g => g.Key, g => (long)g.Count());
        Assert.Equal(byKey.OrderBy(x => x.Key, StringComparer.Ordinal), m.DecryptByKey);
    }

    [Fact]
    public void Manifest_is_written_next_to_the_archive()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(archive.Root, "manifest.json")));
        Assert.Equal(archive.Manifest.DistinctKmsEventIds, doc.RootElement.GetProperty("distinct_kms_event_ids").GetInt64());
        Assert.Equal(archive.Manifest.OrganizationId, doc.RootElement.GetProperty("organization_id").GetString());
    }

    private static string Normalise(JsonElement r)
    {
        var u = r.GetProperty("userIdentity");
        return u.GetProperty("type").GetString() switch
        {
            "AssumedRole" => u.GetProperty("sessionContext").GetProperty("sessionIssuer").GetProperty("arn").GetString()!,
            "AWSService" => "service:" + u.GetProperty("invokedBy").GetString(),
            "AWSAccount" => $"arn:aws:iam::{u.GetProperty("accountId").GetString()}:root",
            _ => u.GetProperty("arn").GetString()!,
        };
    }
}
