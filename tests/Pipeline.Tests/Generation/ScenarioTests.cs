using System.Security.Cryptography;
using System.Text.Json;
using Pipeline.Analysis;
using Pipeline.Cli;
using Pipeline.Generation;

namespace Pipeline.Tests.Generation;

public sealed class ScenarioTests : IClassFixture<ScenarioArchiveFixture>
{
    private static readonly HashSet<string> FindingOperations =
    [
        "ScheduleKeyDeletion", "DeleteImportedKeyMaterial", "ImportKeyMaterial", "DisableKey", "PutKeyPolicy", "CreateKey", "CreateGrant",
        "DisableKeyRotation", "ReplicateKey", "UpdatePrimaryRegion", "CancelKeyDeletion",
    ];

    // Kinds whose planted principal first uses its key on the report day (the root user too; as a principal it is not new
    // here, because the key owner's copy of a cross-account call names the caller's account by the same root ARN).
    private static readonly HashSet<string> NewnessKinds = [FindingKind.NewPrincipal, FindingKind.NewPrincipalForKey, FindingKind.CrossAccountDecrypt, FindingKind.RootUserActivity, FindingKind.EncryptedWithExternalKey];

    private readonly ScenarioArchiveFixture _f;

    public ScenarioTests(ScenarioArchiveFixture fixture) => _f = fixture;

    private static DateOnly D => ScenarioArchiveFixture.ReportDay;

    private IEnumerable<JsonElement> Expected => _f.AnswerKey.GetProperty("expected").EnumerateArray();

    private JsonElement ExpectedOf(string kind) => Expected.Single(e => e.GetProperty("kind").GetString() == kind);

    private JsonElement Decoy(string descriptionStart) =>
        _f.AnswerKey.GetProperty("decoys").EnumerateArray().Single(d => d.GetProperty("description").GetString()!.StartsWith(descriptionStart, StringComparison.Ordinal));

    /// <summary>The planted key, or null when the finding names none (a discovery burst spans keys).</summary>
    private static string? KeyOf(JsonElement expected) =>
        expected.TryGetProperty("key_arn", out var key) && key.ValueKind == JsonValueKind.String ? key.GetString() : null;

    [Fact]
    public void Scenario_json_lists_one_expected_entry_per_finding_kind()
    {
        var kinds = Expected.Select(e => e.GetProperty("kind").GetString()!).ToList();
        Assert.Equal(26, kinds.Count);
        Assert.Equal(FindingKind.All.Order(StringComparer.Ordinal), kinds.Order(StringComparer.Ordinal));
        Assert.Equal("2026-01-12", _f.AnswerKey.GetProperty("report_date").GetString());
        Assert.Equal(_f.Manifest.Accounts, _f.AnswerKey.GetProperty("known_accounts").EnumerateArray().Select(a => a.GetString()!));
        Assert.Equal(["999988887777"], _f.AnswerKey.GetProperty("external_accounts").EnumerateArray().Select(a => a.GetString()!));
        Assert.Equal(8, _f.AnswerKey.GetProperty("decoys").GetArrayLength());
        Assert.NotNull(_f.Manifest.Scenario);
        Assert.Equal(26, _f.Manifest.Scenario.Expected.Count);
    }

    [Fact]
    public void Every_planted_incident_is_in_the_files_on_the_report_day_with_its_principal_and_key()
    {
        foreach (var e in Expected.Where(e => e.GetProperty("kind").GetString() != FindingKind.KmsCoverageGap))
        {
            var kind = e.GetProperty("kind").GetString();
            var error = kind switch
            {
                FindingKind.AccessDeniedBurst or FindingKind.KeyChangeDenied => "AccessDenied",
                FindingKind.UnusableKeyInUse => "KMSInvalidStateException",
                _ => null,
            };
            var matches = _f.Kms.Where(r => r.Day == D && r.EventName == e.GetProperty("event_name").GetString()
                    && r.Principal == e.GetProperty("principal").GetString() && (KeyOf(e) is not { } key || r.KeyArn == key)
                    && r.ErrorCode == error)
                .DistinctBy(r => r.EventId).ToList();
            Assert.True(e.GetProperty("count").GetInt32() == matches.Count, $"{kind}: expected {e.GetProperty("count").GetInt32()}, found {matches.Count}");
        }
    }

    [Fact]
    public void Planted_management_calls_carry_the_request_details_the_report_lints()
    {
        var calls = _f.Kms.Where(r => r.Day == D && r.ErrorCode is null && FindingOperations.Contains(r.EventName)).ToDictionary(r => r.EventName);
        var request = (string name) => calls[name].Record.GetProperty("requestParameters");

        Assert.Equal(7, request("ScheduleKeyDeletion").GetProperty("pendingWindowInDays").GetInt32());
        var put = request("PutKeyPolicy");
        Assert.True(put.GetProperty("bypassPolicyLockoutSafetyCheck").GetBoolean());
        using (var policy = JsonDocument.Parse(put.GetProperty("policy").GetString()!))
        {
            Assert.Contains(policy.RootElement.GetProperty("Statement").EnumerateArray(), s =>
                s.GetProperty("Principal").TryGetProperty("AWS", out var aws) && aws.GetString() == "*"
                && s.GetProperty("Action").EnumerateArray().Any(a => a.GetString() == "kms:Decrypt")
                && !s.TryGetProperty("Condition", out _));
        }

        var grant = request("CreateGrant");
        Assert.StartsWith("arn:aws:iam::999988887777:role/", grant.GetProperty("granteePrincipal").GetString(), StringComparison.Ordinal);
        Assert.Contains("Decrypt", grant.GetProperty("operations").EnumerateArray().Select(o => o.GetString()));
        var replicate = calls["ReplicateKey"];
        Assert.Contains(":key/mrk-", replicate.KeyArn, StringComparison.Ordinal);
        Assert.NotEqual(replicate.Record.GetProperty("awsRegion").GetString(), request("ReplicateKey").GetProperty("replicaRegion").GetString());

        Assert.Equal("KEY_MATERIAL_DOES_NOT_EXPIRE", request("ImportKeyMaterial").GetProperty("expirationModel").GetString());
        var planted = ExpectedOf(FindingKind.ReEncryptedToExternalKey);
        var reEncrypts = _f.Kms.Where(r => r.Day == D && r.EventName == "ReEncrypt" && r.Principal == planted.GetProperty("principal").GetString()).ToList();
        Assert.NotEmpty(reEncrypts);
        Assert.All(reEncrypts, r =>
        {
            var destination = r.Record.GetProperty("requestParameters").GetProperty("destinationKeyId").GetString()!;
            Assert.Equal("999988887777", destination.Split(':')[4]);
            Assert.Equal([r.KeyArn!, destination], r.Record.GetProperty("resources").EnumerateArray().Select(x => x.GetProperty("ARN").GetString()!));
        });

        var external = _f.Kms.Where(r => r.Principal == ExpectedOf(FindingKind.CrossAccountDecrypt).GetProperty("principal").GetString()).ToList();
        Assert.All(external, r =>
        {
            Assert.Equal("999988887777", r.Record.GetProperty("userIdentity").GetProperty("accountId").GetString());
            Assert.Equal(r.KeyArn!.Split(':')[4], r.Recipient); // only the key owner's trail receives it
        });
    }

    [Fact]
    public void The_background_makes_no_management_call_that_is_a_finding_outside_the_planted_ones()
    {
        var planted = Expected.Where(e => e.TryGetProperty("event_name", out var n) && n.ValueKind == JsonValueKind.String && FindingOperations.Contains(n.GetString()!))
            .Select(e => (e.GetProperty("event_name").GetString(), e.GetProperty("principal").GetString(), e.GetProperty("key_arn").GetString())).ToHashSet();
        var found = _f.Kms.Where(r => FindingOperations.Contains(r.EventName)).ToList();
        Assert.Equal(10, planted.Count); // the denied ScheduleKeyDeletion is one of them
        Assert.Equal(10, found.DistinctBy(r => r.EventId).Count());
        Assert.All(found, r =>
        {
            Assert.Equal(D, r.Day);
            Assert.Contains((r.EventName, r.Principal, r.KeyArn), planted);
        });
    }

    [Fact]
    public void No_principal_or_principal_key_pair_is_new_late_in_the_baseline_and_only_planted_ones_are_new_on_the_report_day()
    {
        var crypto = _f.Kms.Where(r => r.EventName is "Decrypt" or "GenerateDataKey" or "GenerateDataKeyWithoutPlaintext" or "Encrypt" or "ReEncrypt").ToList();
        // KMS's own events (a key deleted at the end of its window) are nobody's first call.
        var principalFirst = _f.Kms.Where(r => r.Record.GetProperty("eventType").GetString() != "AwsServiceEvent")
            .GroupBy(r => r.Principal).ToDictionary(g => g.Key, g => g.Min(r => r.Day));
        var pairFirst = crypto.Where(r => r.KeyArn is not null).GroupBy(r => (r.Principal, r.KeyArn)).ToDictionary(g => g.Key, g => g.Min(r => r.Day));
        var plantedPrincipals = Expected.Where(e => e.GetProperty("kind").GetString() is FindingKind.NewPrincipal or FindingKind.CrossAccountDecrypt or FindingKind.DiscoveryBurst)
            .Select(e => e.GetProperty("principal").GetString()!).ToHashSet();
        var plantedPairs = Expected.Where(e => NewnessKinds.Contains(e.GetProperty("kind").GetString()!))
            .Select(e => (e.GetProperty("principal").GetString()!, e.GetProperty("key_arn").GetString())).ToHashSet();
        var recent = Decoy("principal that first appeared 12 days").GetProperty("principal").GetString()!;

        Assert.Equal(D.AddDays(-12), principalFirst[recent]);
        Assert.DoesNotContain(principalFirst, kv => kv.Value >= D.AddDays(-7) && kv.Value < D);
        Assert.DoesNotContain(pairFirst, kv => kv.Value >= D.AddDays(-7) && kv.Value < D);
        Assert.Equal(plantedPrincipals.Order(StringComparer.Ordinal), principalFirst.Where(kv => kv.Value == D).Select(kv => kv.Key).Order(StringComparer.Ordinal));
        Assert.Equal(plantedPairs.Order(), pairFirst.Where(kv => kv.Value == D).Select(kv => kv.Key).Order());
    }

    [Fact]
    public void The_coverage_gap_account_delivers_files_on_the_report_day_but_kms_records_only_on_baseline_days()
    {
        var gap = ExpectedOf(FindingKind.KmsCoverageGap).GetProperty("account_id").GetString()!;
        Assert.Contains(_f.Files, f => f.Account == gap && f.Delivered == D);
        Assert.Contains(_f.Records, r => r.File.Account == gap && r.File.Delivered == D);
        Assert.DoesNotContain(_f.Kms, r => r.File.Account == gap && r.File.Delivered == D);
        var kmsDays = _f.Kms.Where(r => r.File.Account == gap).Select(r => r.File.Delivered).ToHashSet();
        for (var day = D.AddDays(-34); day < D; day = day.AddDays(1))
        {
            Assert.Contains(day, kmsDays);
        }
    }

    [Fact]
    public void Access_denied_errors_stay_rare_and_scattered_outside_the_planted_burst()
    {
        var burst = ExpectedOf(FindingKind.AccessDeniedBurst).GetProperty("principal").GetString();
        var perDay = _f.Kms.Where(r => r.ErrorCode is not null && !(r.Principal == burst && r.Day == D) && r.ErrorCode != "KMSInvalidStateException")
            .GroupBy(r => (r.Principal, r.Day)).ToList();
        Assert.Equal(
            [(ExpectedOf(FindingKind.UnusableKeyInUse).GetProperty("principal").GetString()!, D)],
            _f.Kms.Where(r => r.ErrorCode == "KMSInvalidStateException").Select(r => (r.Principal, r.Day)).Distinct());
        Assert.All(perDay, g => Assert.True(g.Count() <= 6, $"{g.Key}: {g.Count()} errors"));
        Assert.DoesNotContain(_f.Kms, r => r.Principal == burst && r.ErrorCode is not null && r.Day < D);

        var scattered = Decoy("a few scattered AccessDenied").GetProperty("principal").GetString();
        var onD = _f.Kms.Count(r => r.Principal == scattered && r.Day == D && r.ErrorCode == "AccessDenied");
        Assert.InRange(onD, 1, 2);
        Assert.True(_f.Kms.Where(r => r.Principal == scattered && r.ErrorCode is not null).Select(r => r.Day).Distinct().Count() > 17, "errors on most days");
    }

    [Fact]
    public void The_weekday_decoy_count_on_the_monday_report_day_is_within_its_weekday_range()
    {
        var decoy = Decoy("weekday batch role");
        var counts = _f.Kms.Where(r => r.Principal == decoy.GetProperty("principal").GetString() && r.KeyArn == decoy.GetProperty("key_arn").GetString() && r.EventName == "Decrypt")
            .DistinctBy(r => r.EventId).GroupBy(r => r.Day).ToDictionary(g => g.Key, g => g.Count());
        var baseline = Enumerable.Range(1, 33).Select(i => D.AddDays(-i)).ToList(); // the first day's count is cut by the window
        var weekdays = baseline.Where(d => d.DayOfWeek is not (DayOfWeek.Saturday or DayOfWeek.Sunday)).Select(d => counts.GetValueOrDefault(d)).ToList();
        var weekends = baseline.Where(d => d.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday).Select(d => counts.GetValueOrDefault(d)).ToList();
        var today = counts[D];

        Assert.Equal(DayOfWeek.Monday, D.DayOfWeek);
        var mean = weekdays.Average();
        var sd = Math.Sqrt(weekdays.Average(c => (c - mean) * (c - mean)));
        Assert.InRange(today, mean - (3 * Math.Max(sd, Math.Sqrt(mean))), mean + (3 * Math.Max(sd, Math.Sqrt(mean))));
        Assert.True(today > 5 * weekends.Average(), $"today {today} vs weekend mean {weekends.Average()}");
    }

    [Fact]
    public void Decoys_look_alarming_to_a_naive_rule_but_are_routine()
    {
        var lambda = Decoy("Lambda role").GetProperty("principal").GetString();
        Assert.True(_f.Kms.Where(r => r.Principal == lambda && r.Day == D).Select(r => r.SessionName).Distinct().Count() >= 100);

        var service = Decoy("AWS service").GetProperty("principal").GetString();
        Assert.Equal("service:cloudtrail.amazonaws.com", service);
        Assert.Contains(_f.Kms, r => r.Principal == service && r.Day == D && r.EventName == "GenerateDataKey");

        var routine = Decoy("routine in-organization").GetProperty("principal").GetString()!;
        var routineCalls = _f.Kms.Where(r => r.Principal == routine).ToList();
        Assert.True(routineCalls.Select(r => r.Day).Distinct().Count() >= 33, "present on most baseline days");
        Assert.All(routineCalls, r => Assert.NotEqual(routine.Split(':')[4], r.KeyArn!.Split(':')[4]));
        // Delivered to both organization accounts, once each, with a shared event id.
        Assert.All(routineCalls.Where(r => !r.Record.TryGetProperty("sharedEventID", out _)), r => Assert.Fail("missing sharedEventID"));

        var low = Decoy("low-volume principal").GetProperty("principal").GetString();
        var lowCalls = _f.Kms.Where(r => r.Principal == low).DistinctBy(r => r.EventId).ToList();
        Assert.Equal(3, lowCalls.Count(r => r.Day == D));
        Assert.InRange(lowCalls.Count(r => r.Day < D) / 34.0, 0.1, 0.6);

        // Many describe calls on the report day, far above a naive "more than 10 discovery calls" rule, as every weekday.
        var inventory = Decoy("an audit role describing keys").GetProperty("principal").GetString();
        var describes = _f.Kms.Where(r => r.Principal == inventory && r.EventName == "DescribeKey").DistinctBy(r => r.EventId).ToList();
        Assert.InRange(describes.Count(r => r.Day == D), 20, 60);
        Assert.True(describes.Where(r => r.Day < D).Select(r => r.Day).Distinct().Count() >= 30, "describes keys on (nearly) every baseline day");
    }

    [Fact]
    public void Manifest_counts_include_the_planted_decrypts()
    {
        var volume = ExpectedOf(FindingKind.DecryptVolumeAnomaly).GetProperty("principal").GetString()!;
        var inFiles = _f.Kms.Where(r => r.Principal == volume && r.EventName == "Decrypt").DistinctBy(r => r.EventId).Count();
        Assert.Equal(inFiles, _f.Manifest.DecryptByPrincipal[volume]);
        Assert.Equal(_f.Kms.Count(), _f.Manifest.KmsRecords);
    }

    [Fact]
    public async Task The_same_seed_gives_byte_identical_scenario_output()
    {
        var again = Path.Combine(Path.GetTempPath(), "gen-scenario-again-" + Guid.NewGuid().ToString("N"));
        try
        {
            await ArchiveGenerator.GenerateAsync(ScenarioArchiveFixture.Options(again), null, CancellationToken.None);
            Assert.Equal(Hashes(_f.Root), Hashes(again));
        }
        finally
        {
            Directory.Delete(again, recursive: true);
        }
    }

    [Fact]
    public async Task Generate_command_accepts_the_anomalies_scenario_and_rejects_unknown_ones()
    {
        var dir = Path.Combine(Path.GetTempPath(), "gen-cli-scenario-" + Guid.NewGuid().ToString("N"));
        try
        {
            var code = await Program.BuildRoot().Parse(["generate", "--out", dir, "--days", "14", "--end-date", "2026-01-12", "--size-mb", "1", "--scenario", "anomalies"]).InvokeAsync();
            Assert.Equal(0, code);
            Assert.True(File.Exists(Path.Combine(dir, ScenarioAnswerKey.FileName)));
            Assert.NotEqual(0, await Program.BuildRoot().Parse(["generate", "--out", dir, "--scenario", "chaos"]).InvokeAsync());
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static SortedDictionary<string, string> Hashes(string root) =>
        new(Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .ToDictionary(p => Path.GetRelativePath(root, p), p => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(p)))), StringComparer.Ordinal);
}
