using System.Text.RegularExpressions;
using Pipeline.Reporting;

namespace Pipeline.Tests.Reporting;

public sealed class HtmlReportTests
{
    [Fact]
    public void The_page_has_a_header_summary_cards_and_a_findings_table_with_severity_badges()
    {
        var html = HtmlReport.Render(ReportModelSamples.Realistic());

        Assert.StartsWith("<!DOCTYPE html>", html, StringComparison.Ordinal);
        Assert.Contains("<h1>KMS activity report — 2026-11-27</h1>", html, StringComparison.Ordinal);
        Assert.Contains("Baseline: 2026-10-30 to 2026-11-26 (28 days)", html, StringComparison.Ordinal);
        Assert.Contains("<div class=\"value\">182,431</div><div class=\"label\">KMS actions</div>", html, StringComparison.Ordinal);
        Assert.Contains("<table class=\"findings\">", html, StringComparison.Ordinal);
        foreach (var severity in new[] { "critical", "high", "medium", "low", "info" })
        {
            Assert.Contains($"<span class=\"badge {severity}\">{severity}</span>", html, StringComparison.Ordinal);
        }

        // Critical rows come first in the table.
        Assert.True(html.IndexOf("badge critical", StringComparison.Ordinal) < html.IndexOf("badge high", StringComparison.Ordinal));
    }

    [Fact]
    public void The_page_references_nothing_outside_itself()
    {
        var html = HtmlReport.Render(ReportModelSamples.Realistic());

        Assert.Empty(Regex.Matches(html, @"\b(?:src|href)\s*=\s*[""']?\s*(?:https?:|//)", RegexOptions.IgnoreCase));
        Assert.DoesNotContain("http://", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("https://", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<link", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("@import", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("url(", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("<style>", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Chart_and_finding_titles_name_the_role_and_key_by_their_resource_and_keep_the_full_arns_in_the_tooltip()
    {
        const string Title = "Decrypt by arn:aws:iam::111122223333:role/batch-etl on arn:aws:kms:us-east-1:222233334444:key/7d1f2a9c-4b3e-4c11-9a0e-5e6f7a8b9c0d";
        var model = ReportModelSamples.Realistic();
        var html = HtmlReport.Render(model with { Series = [model.Series[0] with { Title = Title }] });

        var svg = Assert.Single(SeriesCharts(html));
        Assert.Contains(">Decrypt by role/batch-etl on key/7d1f2a9c-4b3e-4c11-9a0e-5e6f7a8b9c0d</text>", svg, StringComparison.Ordinal);
        Assert.Contains("aria-label=\"Daily calls: " + Title, svg, StringComparison.Ordinal);

        // The findings table too: the principal and key have columns of their own; the whole title is the tooltip.
        Assert.Contains(
            "<strong title=\"Decrypt by arn:aws:iam::111122223333:role/batch-etl on arn:aws:kms:us-east-1:222233334444:key/7d1f2a9c-4b3e-4c11-9a0e-5e6f7a8b9c0d: 4,810 calls vs 1,180.5/day weekday baseline (z = 37.7)\">"
            + "Decrypt by role/batch-etl on key/7d1f2a9c-4b3e-4c11-9a0e-5e6f7a8b9c0d: 4,810 calls vs 1,180.5/day weekday baseline (z = 37.7)</strong>",
            html,
            StringComparison.Ordinal);

        // A service principal and a long SSO role: no ARN to shorten, or a resource cut in the middle to fit the frame.
        Assert.Equal("Decrypt by service:s3.amazonaws.com", SeriesChartSvg.DisplayTitle("Decrypt by service:s3.amazonaws.com"));
        var sso = SeriesChartSvg.DisplayTitle("GenerateDataKey by arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_AdministratorAccess_bf711f2181f48e55 on arn:aws:kms:eu-west-1:111122223333:key/mrk-1f2e3d4c5b6a7980a1b2c3d4e5f60718");
        Assert.True(sso.Length <= 78, sso);
        Assert.StartsWith("GenerateDataKey by role/", sso, StringComparison.Ordinal);
        Assert.EndsWith("key/mrk-1f2e3d4c5b6a7980a1b2c3d4e5f60718", sso, StringComparison.Ordinal);
        Assert.DoesNotContain("arn:aws", sso, StringComparison.Ordinal);
    }

    [Fact]
    public void Each_series_gets_one_chart_with_bars_a_trend_line_the_band_and_the_mean()
    {
        var model = ReportModelSamples.Realistic();
        var html = HtmlReport.Render(model);

        var charts = SeriesCharts(html);

        Assert.Equal(model.Series.Count, charts.Count);
        foreach (var svg in charts)
        {
            Assert.Contains("role=\"img\"", svg, StringComparison.Ordinal);
            Assert.Contains("aria-label=\"Daily calls: ", svg, StringComparison.Ordinal);
            Assert.Contains("<rect class=\"band\"", svg, StringComparison.Ordinal);
            Assert.Contains("<line class=\"mean\"", svg, StringComparison.Ordinal);
            Assert.Contains("<path class=\"trend\"", svg, StringComparison.Ordinal);
            Assert.Equal(29, Regex.Matches(svg, "<rect class=\"bar[^\"]*\"[^>]*><title>").Count);
            Assert.Contains("<rect class=\"bar today above\"", svg, StringComparison.Ordinal);
            Assert.Contains(">11-27</text>", svg, StringComparison.Ordinal);
        }

        Assert.Contains(">4,810</text>", charts[0], StringComparison.Ordinal);
        Assert.Equal(3, ReportAssertions.Occurrences(html, "<svg class=\"bar-chart\""));
    }

    [Fact]
    public void Hostile_strings_appear_only_encoded()
    {
        var html = HtmlReport.Render(ReportModelSamples.Hostile());

        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<img", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<b>", html, StringComparison.Ordinal);
        Assert.DoesNotContain('\u001b', html);
        Assert.DoesNotContain('\u0007', html);
        Assert.DoesNotContain('\r', html);
        Assert.Contains("role/&lt;script&gt;alert(1)&lt;/script&gt;|*evil*\\x1b[31m\\nsecond line", html, StringComparison.Ordinal);
        Assert.Contains("&lt;img src=x onerror=alert(1)&gt;", html, StringComparison.Ordinal);
        Assert.Contains("key/`rm -rf`|```", html, StringComparison.Ordinal);

        // Attribute values cannot be closed early by a quote in the data.
        Assert.DoesNotContain("'ds'", html, StringComparison.Ordinal);
    }

    [Fact]
    public void An_empty_day_shows_a_no_findings_message_and_omits_the_charts()
    {
        var html = HtmlReport.Render(ReportModelSamples.Empty());

        Assert.Contains("No findings for this day.", html, StringComparison.Ordinal);
        Assert.Contains("No cross-account calls on this day.", html, StringComparison.Ordinal);
        Assert.Contains("Top principals by Decrypt calls: none.", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<svg", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<table class=\"findings\">", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Degenerate_series_still_draw_without_invalid_numbers()
    {
        var day = ReportModelSamples.ReportDate;
        SeriesChart[] series =
        [
            new() { Title = "all zero", Points = Enumerable.Range(0, 29).Select(i => new SeriesPoint(day.AddDays(i - 28), 0)).ToList(), BandZ = 4 },
            new() { Title = "one point", Points = [new SeriesPoint(day, 12)], BaselineMean = 12, BaselineStdDev = 0, BandZ = 4 },
            new() { Title = "flat", Points = Enumerable.Range(0, 10).Select(i => new SeriesPoint(day.AddDays(i - 9), 5)).ToList(), BaselineMean = 5, BaselineStdDev = 0, BandZ = 4 },
            new() { Title = "no baseline", Points = [new SeriesPoint(day.AddDays(-1), 3), new SeriesPoint(day, 9)], BaselineMean = double.NaN, BaselineStdDev = double.PositiveInfinity, BandZ = double.NaN },
            new() { Title = "no points", Points = [], BaselineMean = 1, BaselineStdDev = 1, BandZ = 4 },
            new() { Title = "huge", Points = [new SeriesPoint(day.AddDays(-1), 1), new SeriesPoint(day, 4_000_000_000)], BaselineMean = 1, BaselineStdDev = 0.5, BandZ = 4 },
        ];
        var model = ReportModelSamples.Realistic() with { Series = series };

        var html = HtmlReport.Render(model);
        var charts = SeriesCharts(html);

        Assert.Equal(series.Length, charts.Count);
        Assert.DoesNotContain("NaN", html, StringComparison.Ordinal);
        Assert.DoesNotContain("Infinity", html, StringComparison.Ordinal);
        Assert.DoesNotContain("∞", html, StringComparison.Ordinal);
        Assert.Contains("<rect class=\"band\"", charts[2], StringComparison.Ordinal);
        Assert.DoesNotContain("<rect class=\"band\"", charts[3], StringComparison.Ordinal);
        Assert.Contains("No daily counts for this series", charts[4], StringComparison.Ordinal);
        Assert.Contains(">4G</text>", charts[5], StringComparison.Ordinal);
        Assert.DoesNotMatch(new Regex(@"(?:x|y|width|height|x1|x2|y1|y2)=""-"), string.Concat(charts));
    }

    internal static List<string> SeriesCharts(string html) =>
        Regex.Matches(html, "<svg class=\"series-chart\".*?</svg>", RegexOptions.Singleline).Select(m => m.Value).ToList();
}
