using System.Text;

namespace Pipeline.Reporting;

/// <summary>
/// Horizontal bars with labels on the left, used for top principals, top keys and account flows: the long ARNs that name
/// them fit a horizontal layout, and a vertical tick per row shows the baseline mean to compare against.
/// </summary>
internal static class BarChartSvg
{
    private const double Width = 760;
    private const double LabelWidth = 330;
    private const double ValueWidth = 70;
    private const double RowHeight = 24;
    private const double Top = 44;
    private const double Bottom = 12;
    // About what fits left of the bars in 11px monospace.
    private const int LabelChars = 46;

    public static string Render(string title, IReadOnlyList<BarRow> rows, string? markerLegend, string? highlightLegend)
    {
        var height = Top + Bottom + (Math.Max(rows.Count, 1) * RowHeight);
        var barLeft = LabelWidth;
        var barRight = Width - ValueWidth;
        var axis = AxisScale.For(rows.Count == 0 ? 0 : rows.Max(r => Math.Max(r.Value, r.Marker is { } m && double.IsFinite(m) ? m : 0)));

        var svg = new StringBuilder(2048);
        svg.Append("<svg class=\"bar-chart\" role=\"img\" aria-label=\"").Append(HtmlText.Encode(title)).Append(" (")
            .Append(ReportFormat.Count(rows.Count)).Append(" rows)\" viewBox=\"0 0 ").Append(N(Width)).Append(' ').Append(N(height))
            .Append("\" width=\"").Append(N(Width)).Append("\" height=\"").Append(N(height)).Append("\">");
        svg.Append("<title>").Append(HtmlText.Encode(title)).Append("</title>");
        svg.Append("<rect class=\"frame\" x=\"0\" y=\"0\" width=\"").Append(N(Width)).Append("\" height=\"").Append(N(height)).Append("\"/>");
        svg.Append("<text class=\"chart-title\" x=\"10\" y=\"20\">").Append(HtmlText.Encode(title)).Append("</text>");
        var legendX = 10.0;
        svg.Append("<rect class=\"hbar\" x=\"").Append(N(legendX)).Append("\" y=\"28\" width=\"12\" height=\"10\"/><text class=\"legend\" x=\"")
            .Append(N(legendX + 18)).Append("\" y=\"37\">calls on the report day</text>");
        legendX += 190;
        if (highlightLegend is not null)
        {
            svg.Append("<rect class=\"hbar highlight\" x=\"").Append(N(legendX)).Append("\" y=\"28\" width=\"12\" height=\"10\"/><text class=\"legend\" x=\"")
                .Append(N(legendX + 18)).Append("\" y=\"37\">").Append(HtmlText.Encode(highlightLegend)).Append("</text>");
            legendX += 40 + (highlightLegend.Length * 6.6);
        }

        if (markerLegend is not null)
        {
            svg.Append("<line class=\"marker\" x1=\"").Append(N(legendX + 6)).Append("\" x2=\"").Append(N(legendX + 6))
                .Append("\" y1=\"26\" y2=\"40\"/><text class=\"legend\" x=\"").Append(N(legendX + 18)).Append("\" y=\"37\">")
                .Append(HtmlText.Encode(markerLegend)).Append("</text>");
        }

        if (rows.Count == 0)
        {
            svg.Append("<text class=\"empty\" x=\"10\" y=\"").Append(N(Top + 16)).Append("\">None</text></svg>");
            return svg.ToString();
        }

        for (var i = 0; i < rows.Count; i++)
        {
            var row = rows[i];
            var y = Top + (i * RowHeight);
            var mid = y + (RowHeight / 2);
            svg.Append("<g class=\"row\"><title>").Append(HtmlText.Encode(row.Label)).Append(": ").Append(ReportFormat.Count(row.Value));
            if (row.Marker is { } mean)
            {
                svg.Append(" (baseline mean ").Append(ReportFormat.Number(mean)).Append(')');
            }

            svg.Append("</title>");
            svg.Append("<text class=\"bar-label\" x=\"").Append(N(barLeft - 8)).Append("\" y=\"").Append(N(mid + 4)).Append("\" text-anchor=\"end\">")
                .Append(HtmlText.Encode(HtmlText.Shorten(row.Label, LabelChars))).Append("</text>");
            var x = axis.Map(row.Value, barLeft, barRight);
            svg.Append("<rect class=\"").Append(row.Highlight ? "hbar highlight" : "hbar").Append("\" x=\"").Append(N(barLeft)).Append("\" y=\"")
                .Append(N(y + 4)).Append("\" width=\"").Append(N(Math.Max(1, x - barLeft))).Append("\" height=\"").Append(N(RowHeight - 8)).Append("\"/>");
            if (row.Marker is { } m && double.IsFinite(m))
            {
                var mx = axis.Map(m, barLeft, barRight);
                svg.Append("<line class=\"marker\" x1=\"").Append(N(mx)).Append("\" x2=\"").Append(N(mx)).Append("\" y1=\"").Append(N(y + 1))
                    .Append("\" y2=\"").Append(N(y + RowHeight - 1)).Append("\"/>");
            }

            svg.Append("<text class=\"bar-value\" x=\"").Append(N(Math.Max(x, row.Marker is { } mm && double.IsFinite(mm) ? axis.Map(mm, barLeft, barRight) : x) + 6))
                .Append("\" y=\"").Append(N(mid + 4)).Append("\">").Append(ReportFormat.Count(row.Value)).Append("</text></g>");
        }

        svg.Append("</svg>");
        return svg.ToString();
    }

    private static string N(double value) => ReportFormat.Svg(value);
}
