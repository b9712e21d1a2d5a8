using System.Globalization;
using Pipeline.Analysis;

namespace Pipeline.Reporting;

/// <summary>How numbers, dates and severities read in report.md and report.html, the same in both and in every culture.</summary>
internal static class ReportFormat
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public const string Missing = "—";

    public static string Count(long value) => value.ToString("N0", Inv);

    public static string Date(DateOnly date) => date.ToString("yyyy-MM-dd", Inv);

    /// <summary>The days compared with, e.g. "2025-12-15 to 2026-01-11 (28 days)"; fewer when the dataset starts inside the window.</summary>
    public static string Baseline(ReportModel model)
    {
        if (model.BaselineStart is not { } start || model.BaselineEnd is not { } end)
        {
            return $"none (no data before the report day; window {Count(model.BaselineDays)} days)";
        }

        var days = end.DayNumber - start.DayNumber + 1;
        return days < model.BaselineDays
            ? $"{Date(start)} to {Date(end)} ({Count(days)} of the {Count(model.BaselineDays)} days of the window: the dataset starts on {Date(start)})"
            : $"{Date(start)} to {Date(end)} ({Count(model.BaselineDays)} days)";
    }

    public static string ShortDate(DateOnly date) => date.ToString("MM-dd", Inv);

    public static string Timestamp(DateTime value) =>
        UtcDateTimeConverter.ToUtc(value).ToString("yyyy-MM-dd HH:mm:ss 'UTC'", Inv);

    public static string Timestamp(DateTime? value) => value is { } v ? Timestamp(v) : Missing;

    /// <summary>Means, standard deviations and z-scores: two decimals; absent or non-finite values as a dash.</summary>
    public static string Number(double? value) => value switch
    {
        { } v when !double.IsFinite(v) => Missing,
        // Tiny thresholds (a p-value cut-off of 1e-6) would otherwise round to a misleading 0.
        { } v when v != 0 && Math.Abs(v) < 0.01 => v.ToString("0.##E+0", Inv),
        { } v => v.ToString("0.##", Inv),
        null => Missing,
    };

    /// <summary>
    /// p-values span many orders of magnitude, so small ones go scientific. A tail probability is never 0: a 0 is one
    /// too small for a double (the count is hundreds of standard deviations out), so it reads as a bound, not as 0.
    /// </summary>
    public static string PValue(double? value) => value switch
    {
        { } v when !double.IsFinite(v) => Missing,
        0d => "< 1E-300",
        { } v when v != 0 && Math.Abs(v) < 0.001 => v.ToString("0.##E+0", Inv),
        { } v => v.ToString("0.####", Inv),
        null => Missing,
    };

    /// <summary>A threshold's value; an on/off setting (stored as 1 or 0 in report.json) reads as yes or no.</summary>
    public static string Threshold(string name, double value) =>
        name == "weekday_aware" ? (value != 0 ? "yes" : "no") : Number(value);

    /// <summary>Axis labels stay narrow: 12,500 reads as 12.5k.</summary>
    public static string Compact(double value) => Math.Abs(value) switch
    {
        >= 1_000_000_000 => (value / 1_000_000_000).ToString("0.#", Inv) + "G",
        >= 1_000_000 => (value / 1_000_000).ToString("0.#", Inv) + "M",
        >= 10_000 => (value / 1_000).ToString("0.#", Inv) + "k",
        _ => value.ToString("0.##", Inv),
    };

    /// <summary>A coordinate in SVG: invariant, at most two decimals, never NaN.</summary>
    public static string Svg(double value) => double.IsFinite(value) ? Math.Round(value, 2).ToString("0.##", Inv) : "0";

    public static string Text(Severity severity) => severity.ToText();

    /// <summary>Most urgent first; <see cref="Severity"/> values already rank them.</summary>
    public static IReadOnlyList<Severity> SeveritiesMostUrgentFirst { get; } =
        [Severity.Critical, Severity.High, Severity.Medium, Severity.Low, Severity.Info];

    /// <summary>
    /// Findings per severity: the summary's own tally when the analysis filled it, else counted from the findings, so
    /// the cards never contradict an empty dictionary.
    /// </summary>
    public static int FindingsOf(ReportModel model, Severity severity)
    {
        var tally = model.Summary.FindingsBySeverity;
        if (tally.Count > 0)
        {
            return tally.TryGetValue(severity.ToText(), out var n) ? n : 0;
        }

        return model.Findings.Count(f => f.Severity == severity);
    }
}
