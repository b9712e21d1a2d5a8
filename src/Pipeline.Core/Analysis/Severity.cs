namespace Pipeline.Analysis;

/// <summary>Finding severities, most urgent first; the report's exit code compares against these.</summary>
internal enum Severity
{
    Critical = 4,
    High = 3,
    Medium = 2,
    Low = 1,
    Info = 0,
}

internal static class SeverityText
{
    public static string ToText(this Severity s) => s switch
    {
        Severity.Critical => "critical",
        Severity.High => "high",
        Severity.Medium => "medium",
        Severity.Low => "low",
        _ => "info",
    };

    public static bool TryParse(string text, out Severity severity)
    {
        switch (text.Trim().ToLowerInvariant())
        {
            case "critical": severity = Severity.Critical; return true;
            case "high": severity = Severity.High; return true;
            case "medium": severity = Severity.Medium; return true;
            case "low": severity = Severity.Low; return true;
            case "info": severity = Severity.Info; return true;
            default: severity = Severity.Info; return false;
        }
    }
}
