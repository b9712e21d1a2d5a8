using System.Text.Json.Serialization;
using Pipeline.Analysis;

namespace Pipeline.Reporting;

/// <summary>Everything the daily report shows; <c>report.json</c> is this object serialised (snake_case).</summary>
internal sealed record ReportModel
{
    [JsonPropertyName("report_date")] public required DateOnly ReportDate { get; init; }

    [JsonPropertyName("generated_at")] public required DateTime GeneratedAt { get; init; }

    [JsonPropertyName("dataset")] public required string Dataset { get; init; }

    [JsonPropertyName("baseline_days")] public required int BaselineDays { get; init; }

    /// <summary>First day compared with; null (with <see cref="BaselineEnd"/>) when no day before the report day has data.</summary>
    [JsonPropertyName("baseline_start")] public required DateOnly? BaselineStart { get; init; }

    /// <summary>The day before the report day; null when the baseline is empty.</summary>
    [JsonPropertyName("baseline_end")] public required DateOnly? BaselineEnd { get; init; }

    [JsonPropertyName("thresholds")] public required IReadOnlyDictionary<string, double> Thresholds { get; init; }

    [JsonPropertyName("known_accounts")] public required IReadOnlyList<string> KnownAccounts { get; init; }

    /// <summary>The organizations whose trails are in the dataset (by their log files' keys), and configured ones.</summary>
    [JsonPropertyName("known_organizations")] public IReadOnlyList<string> KnownOrganizations { get; init; } = [];

    [JsonPropertyName("summary")] public required ReportSummary Summary { get; init; }

    /// <summary>Which days the dataset holds: the report's silence means a quiet day only if the day and its baseline have data.</summary>
    [JsonPropertyName("data_coverage")] public DataCoverage Coverage { get; init; } = new();

    /// <summary>What the reader must know first: no data for the day, or too little history for some checks.</summary>
    [JsonPropertyName("notes")] public IReadOnlyList<string> Notes { get; init; } = [];

    [JsonPropertyName("findings")] public required IReadOnlyList<Finding> Findings { get; init; }

    /// <summary>Daily series behind each volume finding, for the charts (same order as the findings that have one).</summary>
    [JsonPropertyName("series")] public required IReadOnlyList<SeriesChart> Series { get; init; }

    [JsonPropertyName("top_principals")] public required IReadOnlyList<TopEntry> TopPrincipals { get; init; }

    [JsonPropertyName("top_keys")] public required IReadOnlyList<TopEntry> TopKeys { get; init; }

    [JsonPropertyName("cross_account_flows")] public required IReadOnlyList<AccountFlow> CrossAccountFlows { get; init; }
}

/// <summary>Counts for the report day.</summary>
internal sealed record ReportSummary
{
    /// <summary>KMS actions on the day (one per <c>dedupe_key</c>: the two copies of a cross-account call count once).</summary>
    [JsonPropertyName("kms_events")] public long KmsEvents { get; init; }

    [JsonPropertyName("decrypt_calls")] public long DecryptCalls { get; init; }

    [JsonPropertyName("generate_data_key_calls")] public long GenerateDataKeyCalls { get; init; }

    [JsonPropertyName("failed_calls")] public long FailedCalls { get; init; }

    [JsonPropertyName("principals")] public long Principals { get; init; }

    [JsonPropertyName("keys")] public long Keys { get; init; }

    [JsonPropertyName("caller_accounts")] public long CallerAccounts { get; init; }

    [JsonPropertyName("findings_by_severity")] public IReadOnlyDictionary<string, int> FindingsBySeverity { get; init; } = new Dictionary<string, int>();
}

/// <summary>A daily count series with its baseline band, for one principal/key/pair and one operation.</summary>
internal sealed record SeriesChart
{
    [JsonPropertyName("title")] public required string Title { get; init; }

    [JsonPropertyName("finding_index")] public int FindingIndex { get; init; }

    [JsonPropertyName("points")] public required IReadOnlyList<SeriesPoint> Points { get; init; }

    [JsonPropertyName("baseline_mean")] public double BaselineMean { get; init; }

    [JsonPropertyName("baseline_stddev")] public double BaselineStdDev { get; init; }

    /// <summary>The z-score threshold: the band drawn is mean ± threshold × stddev.</summary>
    [JsonPropertyName("band_z")] public double BandZ { get; init; }
}

internal sealed record SeriesPoint([property: JsonPropertyName("date")] DateOnly Date, [property: JsonPropertyName("count")] long Count);

/// <summary>A ranked principal or key for the day, with its baseline daily mean for comparison.</summary>
internal sealed record TopEntry(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("count")] long Count,
    [property: JsonPropertyName("baseline_mean")] double BaselineMean);

/// <summary>Calls from one account to keys of another on the report day (AWS services' own work excluded; calls a service made for a principal count).</summary>
internal sealed record AccountFlow(
    [property: JsonPropertyName("caller_account_id")] string CallerAccountId,
    [property: JsonPropertyName("key_account_id")] string KeyAccountId,
    [property: JsonPropertyName("calls")] long Calls,
    [property: JsonPropertyName("external")] bool External);
