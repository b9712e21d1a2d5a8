using System.Text.RegularExpressions;
using Pipeline.Reporting;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Reporting;

/// <summary>
/// Renders report.html in a real browser: string checks cannot tell whether the SVG is valid markup a browser draws.
/// Set PIPELINE_UPDATE_SCREENSHOT=1 to refresh docs/report-screenshot.png from the realistic sample.
/// </summary>
[Trait("Category", "Browser")]
public sealed class BrowserRenderingTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "pipeline-tests", Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task Chromium_renders_the_realistic_report_to_a_non_trivial_screenshot()
    {
        var files = await ReportWriter.WriteAsync(ReportModelSamples.Realistic(), _dir, CancellationToken.None);
        var png = Path.Combine(_dir, "report.png");

        await Chromium.ScreenshotAsync(files.HtmlPath, png, 1280, 2000);

        var bytes = await File.ReadAllBytesAsync(png);
        Assert.True(bytes.Length > 20_000, $"screenshot is only {bytes.Length} bytes");
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], bytes.Take(4));
        if (Environment.GetEnvironmentVariable("PIPELINE_UPDATE_SCREENSHOT") == "1")
        {
            var target = Path.Combine(RepoRoot.Path, "docs", "report-screenshot.png");
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(png, target, overwrite: true);
        }
    }

    [Fact]
    public async Task The_rendered_dom_has_one_drawn_series_chart_per_series()
    {
        var model = ReportModelSamples.Realistic();
        var files = await ReportWriter.WriteAsync(model, _dir, CancellationToken.None);

        var dom = await Chromium.DumpDomAsync(files.HtmlPath);

        var charts = HtmlReportTests.SeriesCharts(dom);
        Assert.Equal(model.Series.Count, charts.Count);
        Assert.All(charts, svg =>
        {
            Assert.Contains("<path", svg, StringComparison.Ordinal);
            Assert.Contains("<rect class=\"band\"", svg, StringComparison.Ordinal);
            Assert.True(ReportAssertions.Occurrences(svg, "<rect") >= 29);
        });
        Assert.Equal(3, ReportAssertions.Occurrences(dom, "<svg class=\"bar-chart\""));
    }

    [Fact]
    public async Task Hostile_strings_stay_text_in_the_rendered_dom()
    {
        var files = await ReportWriter.WriteAsync(ReportModelSamples.Hostile(), _dir, CancellationToken.None);

        var dom = await Chromium.DumpDomAsync(files.HtmlPath);

        // Had any data become markup, the parser would have produced these elements.
        Assert.DoesNotMatch(new Regex("<(?:script|img|b)[\\s>]", RegexOptions.IgnoreCase), dom);
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;", dom, StringComparison.Ordinal);
        Assert.DoesNotContain('\u001b', dom);
        Assert.Equal(2, HtmlReportTests.SeriesCharts(dom).Count);
    }

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }
}
