using System.Net;
using System.Text.RegularExpressions;
using Pipeline.Query;

namespace Pipeline.Reporting;

/// <summary>
/// Makes untrusted text inert in HTML and SVG, in element content and in double- or single-quoted attributes: control
/// and bidi characters first become visible escapes (a browser would otherwise hide them), then markup is entity-encoded.
/// </summary>
internal static partial class HtmlText
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

    /// <summary>
    /// A title with each ARN written as its resource (<c>role/batch-etl</c>, <c>key/7d1f…</c>), for the page's titles and
    /// chart headings, where the principal and key also have columns (or tooltips) of their own: two full ARNs make a
    /// title of five lines, and cutting them in the middle drops the role's name. report.json and report.md keep them whole.
    /// </summary>
    public static string CompactArns(string text) => ArnPattern().Replace(text, m => m.Groups["resource"].Value);

    [GeneratedRegex(@"arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:\d{12}:(?<resource>[^\s,;]+)")]
    private static partial Regex ArnPattern();
}
