using System.Text.Json.Serialization;

namespace Pipeline.Generation;

/// <summary>
/// The generator's own truth about what it wrote (manifest.json), so end-to-end tests can compare the pipeline's
/// counts with exact expected values. Dictionaries are sorted so the file is deterministic.
/// </summary>
internal sealed class GenerationManifest
{
    [JsonPropertyName("seed")] public long Seed { get; init; }
    [JsonPropertyName("days")] public int Days { get; init; }
    [JsonPropertyName("end_date")] public string EndDate { get; init; } = "";
    [JsonPropertyName("organization_id")] public string OrganizationId { get; init; } = "";
    [JsonPropertyName("accounts")] public IReadOnlyList<string> Accounts { get; init; } = [];
    [JsonPropertyName("regions")] public IReadOnlyList<string> Regions { get; init; } = [];
    [JsonPropertyName("files")] public int Files { get; set; }
    [JsonPropertyName("digest_files")] public int DigestFiles { get; set; }
    [JsonPropertyName("records")] public long Records { get; set; }
    [JsonPropertyName("kms_records")] public long KmsRecords { get; set; }
    [JsonPropertyName("distinct_kms_event_ids")] public long DistinctKmsEventIds { get; set; }
    [JsonPropertyName("distinct_kms_actions")] public long DistinctKmsActions { get; set; }
    [JsonPropertyName("uncompressed_bytes")] public long UncompressedBytes { get; set; }
    [JsonPropertyName("compressed_bytes")] public long CompressedBytes { get; set; }
    [JsonPropertyName("kms_event_ids_by_date")] public SortedDictionary<string, long> KmsEventIdsByDate { get; init; } = new(StringComparer.Ordinal);
    [JsonPropertyName("kms_events_by_name")] public SortedDictionary<string, long> KmsEventsByName { get; init; } = new(StringComparer.Ordinal);
    [JsonPropertyName("decrypt_by_principal")] public SortedDictionary<string, long> DecryptByPrincipal { get; init; } = new(StringComparer.Ordinal);
    /// <summary>The answer key of a planted scenario (written to scenario.json, not into manifest.json).</summary>
    [JsonIgnore] public ScenarioAnswerKey? Scenario { get; set; }
    [JsonPropertyName("decrypt_by_key")] public SortedDictionary<string, long> DecryptByKey { get; init; } = new(StringComparer.Ordinal);
}
