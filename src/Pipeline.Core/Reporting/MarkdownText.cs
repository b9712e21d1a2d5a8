using System.Text;
using Pipeline.Query;

namespace Pipeline.Reporting;

/// <summary>
/// Makes untrusted text inert in Markdown: control characters (ANSI escapes, newlines that would end a table row) become
/// visible <c>\x1b</c>-style text, HTML is entity-encoded (renderers pass raw HTML through; without '<' a quote cannot start an attribute, so quotes stay readable), and characters with Markdown
/// meaning are backslash-escaped so a principal named <c>*x*|y</c> cannot add emphasis or split a table cell.
/// </summary>
internal static class MarkdownText
{
    // Inline and block syntax that can appear mid-line; '-', '+' and '.' only matter at a line start, which data never
    // occupies here, so ARNs and dates stay readable in the raw file.
    private const string Special = "\\`*_{}[]()#!|~";

    public static string Escape(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return string.Empty;
        }

        var visible = TerminalText.Escape(value);
        var sb = new StringBuilder(visible.Length + 16);
        foreach (var c in visible)
        {
            switch (c)
            {
                case '<': sb.Append("&lt;"); break;
                case '>': sb.Append("&gt;"); break;
                case '&': sb.Append("&amp;"); break;
                default:
                    if (Special.Contains(c, StringComparison.Ordinal))
                    {
                        sb.Append('\\');
                    }

                    sb.Append(c);
                    break;
            }
        }

        return sb.ToString();
    }

    /// <summary>Escaped text, or a dash for absent values so table columns stay aligned.</summary>
    public static string OrDash(string? value) => string.IsNullOrEmpty(value) ? ReportFormat.Missing : Escape(value);
}
