using System.Net;
using Pipeline.Query;

namespace Pipeline.Reporting;

/// <summary>
/// Makes untrusted text inert in HTML and SVG, in element content and in double- or single-quoted attributes: control
/// and bidi characters first become visible escapes (a browser would otherwise hide them), then markup is entity-encoded.
/// </summary>
internal static class HtmlText
{
    public static string Encode(string? value) =>
        string.IsNullOrEmpty(value) ? string.Empty : WebUtility.HtmlEncode(TerminalText.Escape(value));

    public static string OrDash(string? value) => string.IsNullOrEmpty(value) ? ReportFormat.Missing : Encode(value);

    /// <summary>
    /// Shortens a long label (an assumed-role ARN) for a chart axis, keeping both ends because the role and session
    /// names are at the end; the full text goes in a tooltip. Never splits a surrogate pair.
    /// </summary>
    public static string Shorten(string value, int maxChars)
    {
        if (value.Length <= maxChars || maxChars < 8)
        {
            return value;
        }

        var head = maxChars / 3;
        var tail = maxChars - head - 1;
        if (char.IsHighSurrogate(value[head - 1]))
        {
            head--;
        }

        var tailStart = value.Length - tail;
        if (char.IsLowSurrogate(value[tailStart]))
        {
            tailStart++;
        }

        return string.Concat(value.AsSpan(0, head), "…", value.AsSpan(tailStart));
    }
}
