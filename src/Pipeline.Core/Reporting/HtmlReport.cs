using System.Globalization;
using System.Text;
using Pipeline.Analysis;

namespace Pipeline.Reporting;

/// <summary>
/// <c>report.html</c>: one self-contained page (inline CSS, inline SVG charts, no script, nothing fetched when viewed).
/// Every string from the data goes through <see cref="HtmlText.Encode"/>, and a Content-Security-Policy that forbids
/// scripts and remote loads backs that up if something were ever missed.
/// </summary>
internal static class HtmlReport
{
    public const string FileName = "report.html";

    private const int MaxEventIds = 10;
    private const int MaxBarRows = 20;

    public static string Render(ReportModel model)
    {
        var date = ReportFormat.Date(model.ReportDate);
        var html = new StringBuilder(32768);
        html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
            .Append("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\n")
            .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
            .Append("<title>KMS activity report ").Append(date).Append("</title>\n<style>\n").Append(HtmlReportStyles.Css).Append("\n</style>\n</head>\n<body>\n");

        Header(html, model);
        Summary(html, model);
        Findings(html, model);
        Series(html, model);
        TopLists(html, model);
        Flows(html, model.CrossAccountFlows);

        html.Append("<footer>Generated ").Append(HtmlText.Encode(ReportFormat.Timestamp(model.GeneratedAt)))
            .Append(". Times are UTC. The same data is in report.json.</footer>\n</body>\n</html>\n");
        return html.ToString();
    }

    private static void Header(StringBuilder html, ReportModel model)
    {
        html.Append("<header>\n<h1>KMS activity report — ").Append(ReportFormat.Date(model.ReportDate)).Append("</h1>\n");
        html.Append("<p>Dataset: <span class=\"mono\">").Append(HtmlText.OrDash(model.Dataset)).Append("</span></p>\n");
        html.Append("<p>Baseline: ").Append(HtmlText.Encode(ReportFormat.Baseline(model))).Append("</p>\n");
        if (model.Thresholds.Count > 0)
        {
            html.Append("<p>Thresholds: ").AppendJoin(", ", model.Thresholds.OrderBy(t => t.Key, StringComparer.Ordinal)
                .Select(t => HtmlText.Encode(t.Key) + " " + ReportFormat.Threshold(t.Key, t.Value))).Append("</p>\n");
        }

        if (model.KnownAccounts.Count > 0)
        {
            html.Append("<p>Known accounts: <span class=\"mono\">").AppendJoin(", ", model.KnownAccounts.Select(HtmlText.Encode)).Append("</span></p>\n");
        }

        if (model.KnownOrganizations.Count > 0)
        {
            html.Append("<p>Known organizations: <span class=\"mono\">").AppendJoin(", ", model.KnownOrganizations.Select(HtmlText.Encode)).Append("</span></p>\n");
        }

        if (model.Notes.Count > 0)
        {
            html.Append("<ul class=\"data-notes\" id=\"notes\">\n");
            foreach (var note in model.Notes)
            {
                html.Append("<li>").Append(HtmlText.Encode(note)).Append("</li>\n");
            }

            html.Append("</ul>\n");
        }

        html.Append("</header>\n");
    }

    private static void Summary(StringBuilder html, ReportModel model)
    {
        var s = model.Summary;
        html.Append("<section id=\"summary\">\n<h2>Summary</h2>\n<div class=\"cards\">\n");
        Card(html, "KMS actions", s.KmsEvents, null);
        Card(html, "Decrypt", s.DecryptCalls, null);
        Card(html, "GenerateDataKey", s.GenerateDataKeyCalls, null);
        Card(html, "Failed calls", s.FailedCalls, null);
        Card(html, "Principals", s.Principals, null);
        Card(html, "Keys", s.Keys, null);
        Card(html, "Caller accounts", s.CallerAccounts, null);
        html.Append("</div>\n<div class=\"cards\" style=\"margin-top:10px\">\n");
        Card(html, "Findings", model.Findings.Count, "sev");
        foreach (var severity in ReportFormat.SeveritiesMostUrgentFirst)
        {
            Card(html, severity.ToText(), ReportFormat.FindingsOf(model, severity), "sev sev-" + severity.ToText());
        }

        html.Append("</div>\n</section>\n");
    }

    private static void Card(StringBuilder html, string label, long value, string? cls) =>
        html.Append("<div class=\"card").Append(cls is null ? string.Empty : " " + cls).Append("\"><div class=\"value\">")
            .Append(ReportFormat.Count(value)).Append("</div><div class=\"label\">").Append(label).Append("</div></div>\n");

    private static void Findings(StringBuilder html, ReportModel model)
    {
        html.Append("<section id=\"findings\">\n<h2>Findings</h2>\n");
        if (model.Findings.Count == 0)
        {
            html.Append("<p class=\"empty-note\">No findings for this day.</p>\n</section>\n");
            return;
        }

        html.Append("<div class=\"table-wrap\"><table class=\"findings\">\n<thead><tr><th>#</th><th>Severity</th><th>Finding</th><th>Principal</th><th>Key</th>")
            .Append("<th class=\"num\">Count</th><th class=\"num\">Baseline mean ± sd</th><th class=\"num\">z</th><th class=\"num\">p</th><th>Details</th></tr></thead>\n<tbody>\n");

        // Most urgent first; numbered by position in the model so the numbers match report.md and report.json.
        var ordered = model.Findings.Select((f, i) => (Finding: f, Index: i))
            .OrderByDescending(x => (int)x.Finding.Severity).ThenBy(x => x.Index);
        foreach (var (f, index) in ordered)
        {
            var sev = f.Severity.ToText();
            html.Append("<tr id=\"finding-").Append(index.ToString(CultureInfo.InvariantCulture)).Append("\"><td class=\"num\">")
                .Append(ReportFormat.Count(index + 1)).Append("</td><td><span class=\"badge ").Append(sev).Append("\">").Append(sev).Append("</span></td>");
            html.Append("<td class=\"finding\"><strong title=\"").Append(HtmlText.Encode(f.Title)).Append("\">").Append(HtmlText.OrDash(HtmlText.CompactArns(f.Title))).Append("</strong><br><span class=\"mono\">").Append(HtmlText.OrDash(f.Kind)).Append("</span>");
            if (f.EventName is not null)
            {
                html.Append("<br>").Append(HtmlText.Encode(f.EventName));
            }

            if (f.CallerAccountId is not null || f.KeyAccountId is not null)
            {
                html.Append("<br><span class=\"mono nowrap\">").Append(HtmlText.OrDash(f.CallerAccountId)).Append(" → ").Append(HtmlText.OrDash(f.KeyAccountId)).Append("</span>");
            }

            html.Append("</td><td class=\"mono\">").Append(HtmlText.OrDash(f.Principal)).Append("</td><td class=\"mono\">").Append(HtmlText.OrDash(f.KeyArn)).Append("</td>");
            html.Append("<td class=\"num\">").Append(ReportFormat.Count(f.Count)).Append("</td><td class=\"num\">");
            if (f.BaselineMean is null && f.BaselineStdDev is null)
            {
                html.Append(ReportFormat.Missing);
            }
            else
            {
                html.Append(ReportFormat.Number(f.BaselineMean)).Append(" ± ").Append(ReportFormat.Number(f.BaselineStdDev));
            }

            html.Append("</td><td class=\"num\">").Append(ReportFormat.Number(f.ZScore)).Append("</td><td class=\"num\">").Append(HtmlText.Encode(ReportFormat.PValue(f.PValue))).Append("</td><td class=\"details\">");
            FindingDetails(html, f);
            html.Append("</td></tr>\n");
        }

        html.Append("</tbody>\n</table></div>\n</section>\n");
    }

    /// <summary>Details and pivots fold away (native &lt;details&gt;, no script) so the table stays scannable.</summary>
    private static void FindingDetails(StringBuilder html, Finding f)
    {
        var facts = DetailsFlattener.Flatten(f.Details);
        if (facts.Count == 0 && f.EventIds.Count == 0 && f.FirstSeen is null && f.LastSeen is null)
        {
            html.Append(ReportFormat.Missing);
            return;
        }

        html.Append("<details><summary>").Append(ReportFormat.Count(facts.Count)).Append(facts.Count == 1 ? " fact" : " facts")
            .Append(", ").Append(ReportFormat.Count(Math.Min(f.EventIds.Count, MaxEventIds))).Append(Math.Min(f.EventIds.Count, MaxEventIds) == 1 ? " event id" : " event ids")
            .Append("</summary><dl class=\"facts\">");
        if (f.FirstSeen is not null || f.LastSeen is not null)
        {
            html.Append("<dt>seen</dt><dd>").Append(ReportFormat.Timestamp(f.FirstSeen)).Append(" to ").Append(ReportFormat.Timestamp(f.LastSeen)).Append("</dd>");
        }

        foreach (var (name, value) in facts)
        {
            html.Append("<dt class=\"mono\">").Append(HtmlText.Encode(name)).Append("</dt><dd class=\"mono\">").Append(HtmlText.Encode(value)).Append("</dd>");
        }

        if (f.EventIds.Count > 0)
        {
            html.Append("<dt>event ids</dt><dd class=\"mono\">").AppendJoin("<br>", f.EventIds.Take(MaxEventIds).Select(HtmlText.Encode))
                .Append(f.EventIds.Count > MaxEventIds ? "<br>…" : string.Empty).Append("</dd>");
        }

        html.Append("</dl></details>");
    }

    private static void Series(StringBuilder html, ReportModel model)
    {
        if (model.Series.Count == 0)
        {
            return;
        }

        html.Append("<section id=\"series\">\n<h2>Daily volume against the baseline</h2>\n<div class=\"charts\">\n");
        for (var i = 0; i < model.Series.Count; i++)
        {
            var chart = model.Series[i];
            html.Append("<figure>").Append(SeriesChartSvg.Render(chart, model.ReportDate, i));
            if (chart.FindingIndex >= 0 && chart.FindingIndex < model.Findings.Count)
            {
                html.Append("<figcaption>Behind finding <a href=\"#finding-").Append(chart.FindingIndex.ToString(CultureInfo.InvariantCulture)).Append("\">")
                    .Append(ReportFormat.Count(chart.FindingIndex + 1)).Append(": ").Append(HtmlText.OrDash(HtmlText.CompactArns(model.Findings[chart.FindingIndex].Title))).Append("</a></figcaption>");
            }

            html.Append("</figure>\n");
        }

        html.Append("</div>\n</section>\n");
    }

    private static void TopLists(StringBuilder html, ReportModel model)
    {
        html.Append("<section id=\"top\">\n<h2>Top principals and keys by Decrypt calls</h2>\n<div class=\"charts\">\n");
        TopChart(html, "Top principals by Decrypt calls", model.TopPrincipals);
        TopChart(html, "Top keys by Decrypt calls", model.TopKeys);
        html.Append("</div>\n</section>\n");
    }

    private static void TopChart(StringBuilder html, string title, IReadOnlyList<TopEntry> entries)
    {
        if (entries.Count == 0)
        {
            html.Append("<p class=\"empty-note\">").Append(title).Append(": none.</p>\n");
            return;
        }

        var rows = entries.Take(MaxBarRows).Select(e => new BarRow(e.Name, e.Count, e.BaselineMean, false)).ToList();
        html.Append("<figure>").Append(BarChartSvg.Render(title, rows, "baseline daily mean, all days", null)).Append("</figure>\n");
    }

    private static void Flows(StringBuilder html, IReadOnlyList<AccountFlow> flows)
    {
        html.Append("<section id=\"flows\">\n<h2>Cross-account flows</h2>\n");
        if (flows.Count == 0)
        {
            html.Append("<p class=\"empty-note\">No cross-account calls on this day.</p>\n</section>\n");
            return;
        }

        html.Append("<table class=\"flows\">\n<thead><tr><th>Caller account</th><th>Key account</th><th class=\"num\">Calls</th><th>External</th></tr></thead>\n<tbody>\n");
        foreach (var flow in flows)
        {
            html.Append(flow.External ? "<tr class=\"external\">" : "<tr>").Append("<td class=\"mono\">").Append(HtmlText.OrDash(flow.CallerAccountId))
                .Append("</td><td class=\"mono\">").Append(HtmlText.OrDash(flow.KeyAccountId)).Append("</td><td class=\"num\">").Append(ReportFormat.Count(flow.Calls))
                .Append("</td><td>").Append(flow.External ? "<span class=\"badge critical\">external</span>" : "org").Append("</td></tr>\n");
        }

        html.Append("</tbody>\n</table>\n");
        var rows = flows.OrderByDescending(f => f.Calls).Take(MaxBarRows)
            .Select(f => new BarRow(f.CallerAccountId + " → " + f.KeyAccountId, f.Calls, null, f.External)).ToList();
        html.Append("<figure style=\"margin-top:12px\">").Append(BarChartSvg.Render("Calls by caller account → key account", rows, null, "external caller account")).Append("</figure>\n</section>\n");
    }
}
