using System.Text.Json.Serialization;

namespace Pipeline.Generation;

/// <summary>One finding the report must produce for the report day.</summary>
internal sealed class ScenarioExpectation
{
    /// <summary>A <c>Pipeline.Analysis.FindingKind</c> value.</summary>
    [JsonPropertyName("kind")] public required string Kind { get; init; }

    /// <summary>Normalised principal; null for the coverage gap.</summary>
    [JsonPropertyName("principal")] public string? Principal { get; init; }

    [JsonPropertyName("key_arn")] public string? KeyArn { get; init; }

    [JsonPropertyName("event_name")] public string? EventName { get; init; }

    /// <summary>
    /// Distinct calls of <see cref="EventName"/> by the principal on the key dated on the report day (failed ones only
    /// for access_denied_burst); for the coverage gap, the KMS records in that account's trail that day (0).
    /// </summary>
    [JsonPropertyName("count")] public int Count { get; init; }

    /// <summary>For the coverage gap: the account whose trail has no KMS records.</summary>
    [JsonPropertyName("account_id")] public string? AccountId { get; init; }

    /// <summary>Poisson mean per weekday before the report day (volume findings; 0 where the series is new).</summary>
    [JsonPropertyName("baseline_weekday_mean")] public double? BaselineWeekdayMean { get; init; }
}
