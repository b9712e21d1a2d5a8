using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Pipeline.Analysis;

/// <summary>One thing the report tells an on-call engineer about, with what it was compared against and where to pivot.</summary>
internal sealed record Finding
{
    [JsonPropertyName("kind")] public required string Kind { get; init; }

    [JsonIgnore] public Severity Severity { get; init; }

    [JsonPropertyName("severity")] public string SeverityText => Severity.ToText();

    [JsonPropertyName("title")] public required string Title { get; init; }

    [JsonPropertyName("principal")] public string? Principal { get; init; }

    [JsonPropertyName("key_arn")] public string? KeyArn { get; init; }

    [JsonPropertyName("caller_account_id")] public string? CallerAccountId { get; init; }

    [JsonPropertyName("key_account_id")] public string? KeyAccountId { get; init; }

    [JsonPropertyName("event_name")] public string? EventName { get; init; }

    [JsonPropertyName("count")] public long Count { get; init; }

    [JsonPropertyName("baseline_mean")] public double? BaselineMean { get; init; }

    [JsonPropertyName("baseline_stddev")] public double? BaselineStdDev { get; init; }

    [JsonPropertyName("z_score")] public double? ZScore { get; init; }

    [JsonPropertyName("p_value")] public double? PValue { get; init; }

    [JsonPropertyName("first_seen")] public DateTime? FirstSeen { get; init; }

    [JsonPropertyName("last_seen")] public DateTime? LastSeen { get; init; }

    /// <summary>Kind-specific facts: policy lint results, grantee, pending window, the compared window, ...</summary>
    [JsonPropertyName("details")] public JsonObject Details { get; init; } = [];

    /// <summary>Up to 10 event ids to pivot on in CloudTrail or the dataset.</summary>
    [JsonPropertyName("event_ids")] public IReadOnlyList<string> EventIds { get; init; } = [];
}
