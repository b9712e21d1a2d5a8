using System.Text.RegularExpressions;
using Pipeline.Reporting;

namespace Pipeline.Tests.Reporting;

public sealed class MarkdownReportTests
{
    [Fact]
    public void The_report_has_a_dated_title_a_summary_and_every_section()
    {
        var md = MarkdownReport.Render(ReportModelSamples.Realistic());

        Assert.StartsWith("# KMS activity report — 2026-11-27\n", md, StringComparison.Ordinal);
        Assert.Contains("| KMS actions | 182,431 |", md, StringComparison.Ordinal);
        Assert.Contains("| Findings: critical | 1 |", md, StringComparison.Ordinal);
        foreach (var heading in new[] { "## Summary", "## Findings", "## Top principals by Decrypt calls", "## Top keys by Decrypt calls", "## Cross-account flows" })
        {
            Assert.Contains("\n" + heading + "\n", md, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Findings_are_grouped_by_severity_with_critical_first()
    {
        var md = MarkdownReport.Render(ReportModelSamples.Realistic());

        var positions = new[] { "### Critical (1)", "### High (2)", "### Medium (1)", "### Low (1)", "### Info (1)" }
            .Select(h => md.IndexOf(h, StringComparison.Ordinal)).ToList();

        Assert.DoesNotContain(-1, positions);
        Assert.Equal(positions.Order(), positions);
    }

    [Fact]
    public void A_volume_finding_shows_its_count_against_the_baseline_and_its_details()
    {
        var md = MarkdownReport.Render(ReportModelSamples.Realistic());

        Assert.Contains("- **Count:** 4,810 vs baseline mean 1180.5, stddev 96.2, z 37.73, p 2.1E-12", md, StringComparison.Ordinal);
        Assert.Contains("  - baseline\\_start: 2026-10-30", md, StringComparison.Ordinal);
        Assert.Contains("  - lint\\[0\\].rule: wildcard\\_principal\\_without\\_condition", md, StringComparison.Ordinal); // nested details, flattened
        Assert.Contains("- **Kind:** decrypt\\_volume\\_anomaly", md, StringComparison.Ordinal);
        Assert.Contains("- **Seen:** 2026-11-27 00:00:03 UTC to 2026-11-27 23:59:41 UTC", md, StringComparison.Ordinal);
    }

    [Fact]
    public void A_p_value_too_small_for_a_double_reads_as_a_bound_and_an_on_off_threshold_as_yes_or_no()
    {
        var sample = ReportModelSamples.Realistic();
        var model = sample with
        {
            Findings = [sample.Findings[0] with { PValue = 0 }],
            Thresholds = new Dictionary<string, double> { ["weekday_aware"] = 1, ["max_p_value"] = 1e-6 },
        };

        var md = MarkdownReport.Render(model);
        var html = HtmlReport.Render(model);

        Assert.Contains(", p < 1E-300", md, StringComparison.Ordinal);
        Assert.Contains("| weekday\\_aware | yes |", md, StringComparison.Ordinal);
        Assert.Contains("| max\\_p\\_value | 1E-6 |", md, StringComparison.Ordinal);
        Assert.Contains("&lt; 1E-300", html, StringComparison.Ordinal);
        Assert.Contains("weekday_aware yes", html, StringComparison.Ordinal);
    }

    [Fact]
    public void At_most_ten_event_ids_are_listed_per_finding()
    {
        var md = MarkdownReport.Render(ReportModelSamples.Realistic());

        var line = md.Split('\n').Single(l => l.StartsWith("- **Event ids:** e01", StringComparison.Ordinal));

        Assert.Contains("e10-", line, StringComparison.Ordinal);
        Assert.DoesNotContain("e11-", line, StringComparison.Ordinal);
        Assert.EndsWith(", …", line, StringComparison.Ordinal);
    }

    [Fact]
    public void Hostile_strings_appear_only_escaped()
    {
        var md = MarkdownReport.Render(ReportModelSamples.Hostile());

        Assert.DoesNotContain("<script", md, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<img", md, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<b>", md, StringComparison.Ordinal);
        Assert.DoesNotContain('\u001b', md);
        Assert.DoesNotContain('\u0007', md);
        Assert.DoesNotContain('\r', md);
        Assert.DoesNotContain("*evil*", md, StringComparison.Ordinal);
        Assert.DoesNotMatch(new Regex(@"(?<!\\)`"), md);
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;\\|\\*evil\\*\\\\x1b\\[31m\\\\nsecond line", md.Replace("\\(", "(", StringComparison.Ordinal).Replace("\\)", ")", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.Contains("&lt;img src=x onerror=alert\\(1\\)&gt;", md, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"Principal\":\"*\"}", "\\{\"Principal\":\"\\*\"\\}")]
    [InlineData("a \"quoted\" <b>name</b>", "a \"quoted\" &lt;b&gt;name&lt;/b&gt;")]
    public void Quotes_in_policies_stay_readable_while_html_is_encoded(string text, string expected)
    {
        Assert.Equal(expected, MarkdownText.Escape(text));
    }

    [Fact]
    public void Table_rows_keep_their_columns_whatever_the_names_contain()
    {
        var md = MarkdownReport.Render(ReportModelSamples.Hostile());
        var lines = md.Split('\n');

        // Each table is a run of lines starting with '|'; every row must have as many cells as its header.
        for (var i = 0; i < lines.Length; i++)
        {
            if (!lines[i].StartsWith('|') || (i > 0 && lines[i - 1].StartsWith('|')))
            {
                continue;
            }

            var cells = ReportAssertions.MarkdownCells(lines[i]);
            for (var j = i + 1; j < lines.Length && lines[j].StartsWith('|'); j++)
            {
                Assert.True(cells == ReportAssertions.MarkdownCells(lines[j]), $"row {j} '{lines[j]}' should have {cells} cells");
                Assert.EndsWith(" |", lines[j], StringComparison.Ordinal);
            }
        }

        Assert.Contains(lines, l => l.StartsWith("| 1 | arn:aws:iam::1:role/&lt;script&gt;", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("| &lt;b&gt;1&lt;/b&gt;\\|\\\\x1b\\[2J | 111122223333 | 3 | **yes** |", StringComparison.Ordinal));
    }

    [Fact]
    public void An_empty_day_says_so_instead_of_showing_empty_tables()
    {
        var md = MarkdownReport.Render(ReportModelSamples.Empty());

        Assert.Contains("No findings for this day.", md, StringComparison.Ordinal);
        Assert.Contains("## Top principals by Decrypt calls\n\nNone.", md, StringComparison.Ordinal);
        Assert.Contains("## Cross-account flows\n\nNone.", md, StringComparison.Ordinal);
    }
}
