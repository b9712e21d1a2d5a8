using System.Text.Json;

namespace Pipeline.Tests.Generation;

public sealed class RecordShapeTests(GeneratedArchiveFixture archive) : IClassFixture<GeneratedArchiveFixture>
{
    private IEnumerable<JsonElement> Kms => archive.Records.Select(x => x.Record).Where(IsKms);

    [Fact]
    public void Every_record_has_a_utc_event_time_and_a_guid_event_id()
    {
        foreach (var (_, r) in archive.Records)
        {
            var time = r.GetProperty("eventTime").GetString()!;
            Assert.EndsWith("Z", time, StringComparison.Ordinal);
            Assert.Equal(TimeSpan.Zero, DateTimeOffset.Parse(time, System.Globalization.CultureInfo.InvariantCulture).Offset);
            Assert.True(Guid.TryParse(r.GetProperty("eventID").GetString(), out _));
            Assert.Equal(JsonValueKind.Object, r.GetProperty("userIdentity").ValueKind);
            Assert.True(r.GetProperty("readOnly").ValueKind is JsonValueKind.True or JsonValueKind.False);
        }
    }

    [Fact]
    public void Kms_records_are_a_minority_of_about_thirty_percent()
    {
        var share = (double)Kms.Count() / archive.Records.Count;
        Assert.InRange(share, 0.20, 0.40);
    }

    [Fact]
    public void Assumed_roles_use_several_session_names_per_role()
    {
        var sessionsPerRole = Kms
            .Select(r => r.GetProperty("userIdentity"))
            .Where(u => u.GetProperty("type").GetString() == "AssumedRole")
            .GroupBy(u => u.GetProperty("sessionContext").GetProperty("sessionIssuer").GetProperty("arn").GetString())
            .Select(g => g.Select(u => u.GetProperty("arn").GetString()).Distinct().Count());
        Assert.Contains(sessionsPerRole, n => n >= 3);
        Assert.Contains(Kms, r => r.GetProperty("userIdentity").GetProperty("principalId").GetString()?.StartsWith("AROA", StringComparison.Ordinal) == true);
    }

    [Fact]
    public void Aws_service_and_invoked_by_callers_are_present()
    {
        Assert.Contains(Kms, r => r.GetProperty("userIdentity").GetProperty("type").GetString() == "AWSService");
        Assert.Contains(Kms, r => r.GetProperty("userIdentity").GetProperty("type").GetString() == "AssumedRole"
            && r.GetProperty("userIdentity").TryGetProperty("invokedBy", out _));
        Assert.Contains(Kms, r => r.GetProperty("userIdentity").GetProperty("type").GetString() == "AWSAccount");
    }

    [Fact]
    public void Cross_account_copies_share_the_shared_event_id_with_different_event_ids_and_recipients()
    {
        var pairs = Kms.Where(r => r.TryGetProperty("sharedEventID", out _))
            .GroupBy(r => r.GetProperty("sharedEventID").GetString())
            .Where(g => g.Select(r => r.GetProperty("eventID").GetString()).Distinct().Count() == 2)
            .ToList();
        Assert.NotEmpty(pairs);
        Assert.All(pairs, g => Assert.Equal(2, g.Select(r => r.GetProperty("recipientAccountId").GetString()).Distinct().Count()));
    }

    [Fact]
    public void Some_non_kms_records_mention_kms_in_their_values()
    {
        Assert.Contains(archive.Records, x => !IsKms(x.Record) && x.Record.GetRawText().Contains("kms.amazonaws.com", StringComparison.Ordinal));
    }

    [Fact]
    public void Kms_resources_name_key_arns_and_decrypt_often_omits_key_id()
    {
        var decrypts = Kms.Where(r => r.GetProperty("eventName").GetString() == "Decrypt").ToList();
        Assert.Contains(decrypts, r => !r.GetProperty("requestParameters").TryGetProperty("keyId", out _));
        Assert.All(Kms.Where(r => r.TryGetProperty("resources", out _)), r =>
            Assert.Matches(@"^arn:aws:kms:[a-z0-9-]+:\d{12}:key/(mrk-[0-9a-f]{32}|[0-9a-f-]{36})$", r.GetProperty("resources")[0].GetProperty("ARN").GetString()));
    }

    private static bool IsKms(JsonElement r) => r.GetProperty("eventSource").GetString() == "kms.amazonaws.com";
}
