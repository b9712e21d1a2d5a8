using System.Text.Json.Serialization;

namespace Pipeline.Analysis;

/// <summary>One problem found in a key policy.</summary>
internal sealed record PolicyLintIssue(
    [property: JsonPropertyName("rule")] string Rule,
    [property: JsonPropertyName("statement")] string Statement,
    [property: JsonPropertyName("detail")] string Detail,
    [property: JsonIgnore] Severity Severity);
