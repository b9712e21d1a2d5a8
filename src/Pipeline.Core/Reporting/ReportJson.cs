using System.Text.Json;
using System.Text.Json.Nodes;
using Pipeline.Analysis;

namespace Pipeline.Reporting;

/// <summary>
/// <c>report.json</c>: the <see cref="ReportModel"/> with its declared snake_case names, dates as <c>YYYY-MM-DD</c>,
/// timestamps as UTC with <c>Z</c>, non-finite doubles as null. The serializer is culture-invariant by construction.
/// </summary>
internal static class ReportJson
{
    public const string FileName = "report.json";

    /// <summary>
    /// No naming policy: the model's [JsonPropertyName] attributes are the contract. The default encoder stays, so
    /// <c>&lt;</c> and friends are written as <c>\u003C</c> and the file is safe to inline into a page.
    /// </summary>
    public static JsonSerializerOptions Options { get; } = new()
    {
        WriteIndented = true,
        Converters = { new FiniteDoubleConverter(), new UtcDateTimeConverter(), new DetailsJsonConverter() },
    };

    public static string Serialize(ReportModel model) => JsonSerializer.Serialize(model, Options);

    public static Task SerializeAsync(Stream stream, ReportModel model, CancellationToken ct) =>
        JsonSerializer.SerializeAsync(stream, model, Options, ct);

    public static ReportModel Deserialize(string json)
    {
        var model = JsonSerializer.Deserialize<ReportModel>(json, Options) ?? throw new JsonException("report.json is null");
        return RestoreSeverities(model, JsonNode.Parse(json));
    }

    public static async Task<ReportModel> ReadAsync(string path, CancellationToken ct)
    {
        var json = await File.ReadAllTextAsync(path, ct).ConfigureAwait(false);
        return Deserialize(json);
    }

    /// <summary>
    /// <see cref="Finding.Severity"/> is not serialised itself, only its read-only text form, which the serializer
    /// cannot set; so the enum is put back from the text.
    /// </summary>
    private static ReportModel RestoreSeverities(ReportModel model, JsonNode? root)
    {
        if (root?["findings"] is not JsonArray texts || texts.Count != model.Findings.Count)
        {
            return model;
        }

        var findings = new List<Finding>(model.Findings.Count);
        for (var i = 0; i < model.Findings.Count; i++)
        {
            var text = texts[i]?["severity"]?.GetValue<string>();
            findings.Add(text is not null && SeverityText.TryParse(text, out var severity)
                ? model.Findings[i] with { Severity = severity }
                : model.Findings[i]);
        }

        return model with { Findings = findings };
    }
}
