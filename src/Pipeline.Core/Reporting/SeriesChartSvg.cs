using System.Globalization;
using System.Text;

namespace Pipeline.Reporting;

/// <summary>
/// One <see cref="SeriesChart"/> as an inline SVG: daily bars over the baseline window and the report day, the baseline
/// band (mean ± band_z × stddev) shaded behind them with the mean dashed, and the report day highlighted. Drawn here
/// rather than by a script so the page needs no JavaScript and looks the same offline and in a mail client.
/// </summary>
internal static class SeriesChartSvg
{
    private const double Width = 760;

    // What fits between the plot's left edge and the frame at the title's 14 px bold (the full title is the chart's
    // accessible name and tooltip, and the finding it links to).
    private const int MaxTitleChars = 78;

    private const double Height = 280;
    private const double Left = 60;
    private const double Right = 20;
    private const double Top = 56;
    private const double Bottom = 40;
    private const int TargetDateLabels = 8;

    public static string Render(SeriesChart chart, DateOnly reportDate, int index)
    {
        var points = chart.Points.OrderBy(p => p.Date).ToList();
        var hasBand = double.IsFinite(chart.BaselineMean) && double.IsFinite(chart.BaselineStdDev);
        var bandZ = double.IsFinite(chart.BandZ) ? Math.Max(0, chart.BandZ) : 0;
        var bandLow = hasBand ? Math.Max(0, chart.BaselineMean - (bandZ * chart.BaselineStdDev)) : 0;
        var bandHigh = hasBand ? chart.BaselineMean + (bandZ * chart.BaselineStdDev) : 0;

        var todayIndex = points.FindIndex(p => p.Date == reportDate);
        if (todayIndex < 0 && points.Count > 0)
        {
            todayIndex = points.Count - 1;
        }

        var today = todayIndex >= 0 ? points[todayIndex] : null;
        var aria = new StringBuilder("Daily calls: ").Append(chart.Title);
        if (today is not null)
        {
            aria.Append(". ").Append(ReportFormat.Date(today.Date)).Append(": ").Append(ReportFormat.Count(today.Count)).Append(" calls");
        }

        if (hasBand)
        {
            aria.Append(" against a baseline mean of ").Append(ReportFormat.Number(chart.BaselineMean))
                .Append(" (band ").Append(ReportFormat.Number(bandLow)).Append(" to ").Append(ReportFormat.Number(bandHigh)).Append(')');
        }

        var svg = new StringBuilder(4096);
        svg.Append("<svg class=\"series-chart\" id=\"series-").Append(index.ToString(CultureInfo.InvariantCulture))
            .Append("\" role=\"img\" aria-label=\"").Append(HtmlText.Encode(aria.ToString()))
            .Append("\" viewBox=\"0 0 ").Append(N(Width)).Append(' ').Append(N(Height))
            .Append("\" width=\"").Append(N(Width)).Append("\" height=\"").Append(N(Height)).Append("\">");
        svg.Append("<title>").Append(HtmlText.Encode(aria.ToString())).Append("</title>");
        svg.Append("<rect class=\"frame\" x=\"0\" y=\"0\" width=\"").Append(N(Width)).Append("\" height=\"").Append(N(Height)).Append("\"/>");
        svg.Append("<text class=\"chart-title\" x=\"").Append(N(Left)).Append("\" y=\"20\">")
            .Append(HtmlText.Encode(DisplayTitle(chart.Title))).Append("</text>");
        Legend(svg, hasBand, bandZ);

        if (points.Count == 0)
        {
            svg.Append("<text class=\"empty\" x=\"").Append(N(Width / 2)).Append("\" y=\"").Append(N(Height / 2))
                .Append("\" text-anchor=\"middle\">No daily counts for this series</text></svg>");
            return svg.ToString();
        }

        var plotLeft = Left;
        var plotRight = Width - Right;
        var plotTop = Top;
        var plotBottom = Height - Bottom;
        var dataMax = Math.Max(points.Max(p => (double)p.Count), hasBand ? bandHigh : 0);
        // Headroom above the tallest bar keeps the report day's count label clear of the bar and the title.
        var axis = AxisScale.For(dataMax * 1.1);
        double Y(double v) => axis.Map(v, plotBottom, plotTop);

        var slot = (plotRight - plotLeft) / points.Count;
        var barWidth = Math.Clamp(slot * 0.7, 1, 48);
        double X(int i) => plotLeft + (slot * i) + (slot / 2);

        // Grid and count labels first, so bars and band draw over them.
        foreach (var tick in axis.Ticks())
        {
            var y = Y(tick);
            svg.Append("<line class=\"grid\" x1=\"").Append(N(plotLeft)).Append("\" x2=\"").Append(N(plotRight))
                .Append("\" y1=\"").Append(N(y)).Append("\" y2=\"").Append(N(y)).Append("\"/>");
            svg.Append("<text class=\"axis-label\" x=\"").Append(N(plotLeft - 6)).Append("\" y=\"").Append(N(y + 4))
                .Append("\" text-anchor=\"end\">").Append(ReportFormat.Compact(tick)).Append("</text>");
        }

        if (today is not null)
        {
            svg.Append("<rect class=\"today-column\" x=\"").Append(N(X(todayIndex) - (slot / 2))).Append("\" y=\"").Append(N(plotTop))
                .Append("\" width=\"").Append(N(slot)).Append("\" height=\"").Append(N(plotBottom - plotTop)).Append("\"/>");
        }

        if (hasBand)
        {
            // A zero stddev collapses the band onto the mean; keep it a visible sliver rather than nothing.
            var yHigh = Y(bandHigh);
            var height = Math.Max(2, Y(bandLow) - yHigh);
            svg.Append("<rect class=\"band\" x=\"").Append(N(plotLeft)).Append("\" y=\"").Append(N(Math.Min(yHigh, plotBottom - height)))
                .Append("\" width=\"").Append(N(plotRight - plotLeft)).Append("\" height=\"").Append(N(height)).Append("\"/>");
        }

        var bars = new StringBuilder();
        for (var i = 0; i < points.Count; i++)
        {
            var p = points[i];
            var y = Y(p.Count);
            var cls = i == todayIndex ? (hasBand && p.Count > bandHigh ? "bar today above" : "bar today") : "bar";
            bars.Append("<rect class=\"").Append(cls).Append("\" x=\"").Append(N(X(i) - (barWidth / 2))).Append("\" y=\"").Append(N(y))
                .Append("\" width=\"").Append(N(barWidth)).Append("\" height=\"").Append(N(Math.Max(0, plotBottom - y))).Append("\">")
                .Append("<title>").Append(ReportFormat.Date(p.Date)).Append(": ").Append(ReportFormat.Count(p.Count)).Append("</title></rect>");
        }

        svg.Append(bars);

        // The daily line over the bars makes the trend readable where bars are thin.
        if (points.Count > 1)
        {
            svg.Append("<path class=\"trend\" d=\"");
            for (var i = 0; i < points.Count; i++)
            {
                svg.Append(i == 0 ? 'M' : 'L').Append(N(X(i))).Append(' ').Append(N(Y(points[i].Count))).Append(' ');
            }

            svg.Length--;
            svg.Append("\"/>");
        }

        if (hasBand)
        {
            var yMean = Y(chart.BaselineMean);
            svg.Append("<line class=\"mean\" x1=\"").Append(N(plotLeft)).Append("\" x2=\"").Append(N(plotRight))
                .Append("\" y1=\"").Append(N(yMean)).Append("\" y2=\"").Append(N(yMean)).Append("\"/>");
        }

        if (today is not null)
        {
            var anchor = todayIndex == points.Count - 1 ? "end" : todayIndex == 0 ? "start" : "middle";
            var labelX = anchor switch { "end" => X(todayIndex) + (barWidth / 2), "start" => X(todayIndex) - (barWidth / 2), _ => X(todayIndex) };
            svg.Append("<text class=\"today-label\" x=\"").Append(N(labelX)).Append("\" y=\"").Append(N(Math.Max(plotTop + 12, Y(today.Count) - 6)))
                .Append("\" text-anchor=\"").Append(anchor).Append("\">").Append(ReportFormat.Count(today.Count)).Append("</text>");
        }

        // Axis line and dates, counted back from the report day so it is always labelled and the spacing is even.
        svg.Append("<line class=\"axis\" x1=\"").Append(N(plotLeft)).Append("\" x2=\"").Append(N(plotRight))
            .Append("\" y1=\"").Append(N(plotBottom)).Append("\" y2=\"").Append(N(plotBottom)).Append("\"/>");
        var every = Math.Max(1, (int)Math.Ceiling(points.Count / (double)TargetDateLabels));
        var anchorIndex = Math.Max(todayIndex, 0);
        for (var i = 0; i < points.Count; i++)
        {
            if (Math.Abs(anchorIndex - i) % every != 0)
            {
                continue;
            }

            svg.Append("<text class=\"").Append(i == todayIndex ? "axis-label today-date" : "axis-label").Append("\" x=\"").Append(N(X(i)))
                .Append("\" y=\"").Append(N(plotBottom + 16)).Append("\" text-anchor=\"middle\">").Append(ReportFormat.ShortDate(points[i].Date)).Append("</text>");
        }

        svg.Append("<text class=\"axis-title\" x=\"").Append(N(plotLeft)).Append("\" y=\"").Append(N(Height - 6)).Append("\">")
            .Append(ReportFormat.Date(points[0].Date)).Append(" to ").Append(ReportFormat.Date(points[^1].Date)).Append(", calls per day (UTC)</text>");
        svg.Append("</svg>");
        return svg.ToString();
    }

    private static void Legend(StringBuilder svg, bool hasBand, double bandZ)
    {
        var x = Left;
        const double y = 38;
        Swatch(svg, ref x, y, "bar", "daily calls");
        Swatch(svg, ref x, y, "bar today", "report day");
        if (hasBand)
        {
            Swatch(svg, ref x, y, "band", "baseline band (mean ± " + ReportFormat.Number(bandZ) + " σ)");
            svg.Append("<line class=\"mean\" x1=\"").Append(N(x)).Append("\" x2=\"").Append(N(x + 18)).Append("\" y1=\"").Append(N(y - 4))
                .Append("\" y2=\"").Append(N(y - 4)).Append("\"/><text class=\"legend\" x=\"").Append(N(x + 24)).Append("\" y=\"").Append(N(y))
                .Append("\">baseline mean</text>");
        }
    }

    private static void Swatch(StringBuilder svg, ref double x, double y, string cls, string label)
    {
        svg.Append("<rect class=\"").Append(cls).Append("\" x=\"").Append(N(x)).Append("\" y=\"").Append(N(y - 10)).Append("\" width=\"12\" height=\"12\"/>")
            .Append("<text class=\"legend\" x=\"").Append(N(x + 18)).Append("\" y=\"").Append(N(y)).Append("\">").Append(HtmlText.Encode(label)).Append("</text>");
        x += 30 + (label.Length * 6.6);
    }

    private static string N(double value) => ReportFormat.Svg(value);

    /// <summary>The title as drawn: its ARNs as their resources (<see cref="HtmlText.CompactArns"/>), cut to fit the frame.</summary>
    internal static string DisplayTitle(string title) => HtmlText.Shorten(HtmlText.CompactArns(title), MaxTitleChars);
}
