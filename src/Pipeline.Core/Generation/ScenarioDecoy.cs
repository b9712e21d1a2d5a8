using System.Text.Json.Serialization;

namespace Pipeline.Generation;

/// <summary>Traffic that looks suspicious to a naive rule and must not be reported as the listed kinds.</summary>
internal sealed class ScenarioDecoy
{
    [JsonPropertyName("description")] public required string Description { get; init; }

    [JsonPropertyName("principal")] public required string Principal { get; init; }

    [JsonPropertyName("key_arn")] public string? KeyArn { get; init; }

    [JsonPropertyName("kinds_not_expected")] public required IReadOnlyList<string> KindsNotExpected { get; init; }
}
