using System.Globalization;

namespace Pipeline.Reporting;

/// <summary>"1 call", "2 calls", "1,204 log files": a count and its noun, in agreement, for titles, notes and summaries.</summary>
public static class Counted
{
    /// <summary>The count (thousands separated, invariant culture) and <paramref name="singular"/>, or <paramref name="plural"/> (default: singular + "s") unless the count is 1.</summary>
    public static string Of(long count, string singular, string? plural = null) =>
        string.Create(CultureInfo.InvariantCulture, $"{count:N0} {(count == 1 ? singular : plural ?? singular + "s")}");
}
