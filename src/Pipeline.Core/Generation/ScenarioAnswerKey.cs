using System.Text.Json.Serialization;

namespace Pipeline.Generation;

/// <summary>
/// scenario.json: what the daily report for <see cref="ReportDate"/> must flag (one entry per finding kind) and
/// what it must not (decoys). Principals use the manifest's normalisation.
/// </summary>
internal sealed class ScenarioAnswerKey
{
    public const string FileName = "scenario.json";

    [JsonPropertyName("scenario")] public string Scenario { get; init; } = "anomalies";
    [JsonPropertyName("report_date")] public string ReportDate { get; init; } = "";
    [JsonPropertyName("known_accounts")] public IReadOnlyList<string> KnownAccounts { get; init; } = [];
    [JsonPropertyName("external_accounts")] public IReadOnlyList<string> ExternalAccounts { get; init; } = [];
    [JsonPropertyName("expected")] public List<ScenarioExpectation> Expected { get; init; } = [];
    [JsonPropertyName("decoys")] public List<ScenarioDecoy> Decoys { get; init; } = [];
}
