namespace Pipeline.Tests.Reporting;

/// <summary>Checks shared by the Markdown and HTML tests.</summary>
internal static class ReportAssertions
{
    /// <summary>Cells in a Markdown table row: pipes not preceded by a backslash, minus the outer two.</summary>
    public static int MarkdownCells(string row)
    {
        var pipes = 0;
        for (var i = 0; i < row.Length; i++)
        {
            if (row[i] == '\\')
            {
                i++;
            }
            else if (row[i] == '|')
            {
                pipes++;
            }
        }

        return pipes - 1;
    }

    public static int Occurrences(string text, string value)
    {
        var n = 0;
        for (var i = text.IndexOf(value, StringComparison.Ordinal); i >= 0; i = text.IndexOf(value, i + value.Length, StringComparison.Ordinal))
        {
            n++;
        }

        return n;
    }
}
