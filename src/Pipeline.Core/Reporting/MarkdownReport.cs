using System.Text;
using Pipeline.Analysis;

namespace Pipeline.Reporting;

/// <summary>
/// <c>report.md</c>: the report for chat, tickets and code review. Every string that came from CloudTrail or the analysis
/// goes through <see cref="MarkdownText.Escape"/>; only the fixed scaffolding here is written raw.
/// </summary>
internal static class MarkdownReport
{
    public const string FileName = "report.md";

    private const int MaxEventIds = 10;

    public static string Render(ReportModel model)
    {
        var md = new StringBuilder(8192);
        md.Append("# KMS activity report — ").Append(ReportFormat.Date(model.ReportDate)).Append("\n\n");
        md.Append("- **Dataset:** ").Append(MarkdownText.OrDash(model.Dataset)).Append('\n');
        md.Append("- **Baseline:** ").Append(MarkdownText.Escape(ReportFormat.Baseline(model))).Append('\n');
        md.Append("- **Generated:** ").Append(ReportFormat.Timestamp(model.GeneratedAt)).Append('\n');
        if (model.KnownAccounts.Count > 0)
        {
            md.Append("- **Known accounts:** ").AppendJoin(", ", model.KnownAccounts.Select(MarkdownText.Escape)).Append('\n');
        }

        if (model.KnownOrganizations.Count > 0)
        {
            md.Append("- **Known organizations:** ").AppendJoin(", ", model.KnownOrganizations.Select(MarkdownText.Escape)).Append('\n');
        }

        md.Append('\n');
        if (model.Notes.Count > 0)
        {
            md.AppendJoin("\n>\n", model.Notes.Select(n => "> **Note:** " + MarkdownText.Escape(n))).Append("\n\n");
        }

        Summary(md, model);
        Findings(md, model);
        TopTable(md, "Top principals by Decrypt calls", "Principal", model.TopPrincipals);
        TopTable(md, "Top keys by Decrypt calls", "Key", model.TopKeys);
        Flows(md, model.CrossAccountFlows);
        return md.ToString();
    }

    private static void Summary(StringBuilder md, ReportModel model)
    {
        var s = model.Summary;
        md.Append("## Summary\n\n| Metric | Value |\n| --- | ---: |\n");
        Row(md, "KMS actions", ReportFormat.Count(s.KmsEvents));
        Row(md, "Decrypt calls", ReportFormat.Count(s.DecryptCalls));
        Row(md, "GenerateDataKey calls", ReportFormat.Count(s.GenerateDataKeyCalls));
        Row(md, "Failed calls", ReportFormat.Count(s.FailedCalls));
        Row(md, "Principals", ReportFormat.Count(s.Principals));
        Row(md, "Keys", ReportFormat.Count(s.Keys));
        Row(md, "Caller accounts", ReportFormat.Count(s.CallerAccounts));
        Row(md, "Findings", ReportFormat.Count(model.Findings.Count));
        foreach (var severity in ReportFormat.SeveritiesMostUrgentFirst)
        {
            Row(md, "Findings: " + severity.ToText(), ReportFormat.Count(ReportFormat.FindingsOf(model, severity)));
        }

        md.Append('\n');
        if (model.Thresholds.Count > 0)
        {
            md.Append("### Thresholds\n\n| Threshold | Value |\n| --- | ---: |\n");
            foreach (var (name, value) in model.Thresholds.OrderBy(t => t.Key, StringComparer.Ordinal))
            {
                Row(md, MarkdownText.Escape(name), ReportFormat.Threshold(name, value));
            }

            md.Append('\n');
        }
    }

    private static void Findings(StringBuilder md, ReportModel model)
    {
        md.Append("## Findings\n\n");
        if (model.Findings.Count == 0)
        {
            md.Append("No findings for this day.\n\n");
            return;
        }

        // Numbered in the model's order, so "finding 3" means the same thing in report.md, report.html and report.json.
        foreach (var severity in ReportFormat.SeveritiesMostUrgentFirst)
        {
            var group = model.Findings.Select((f, i) => (Finding: f, Number: i + 1)).Where(x => x.Finding.Severity == severity).ToList();
            if (group.Count == 0)
            {
                continue;
            }

            md.Append("### ").Append(Capitalised(severity)).Append(" (").Append(ReportFormat.Count(group.Count)).Append(")\n\n");
            foreach (var (finding, number) in group)
            {
                OneFinding(md, finding, number);
            }
        }
    }

    private static void OneFinding(StringBuilder md, Finding f, int number)
    {
        md.Append("#### ").Append(ReportFormat.Count(number)).Append(". ").Append(MarkdownText.OrDash(f.Title)).Append("\n\n");
        Item(md, "Severity", f.Severity.ToText());
        Item(md, "Kind", MarkdownText.OrDash(f.Kind));
        Item(md, "Principal", MarkdownText.OrDash(f.Principal));
        Item(md, "Key", MarkdownText.OrDash(f.KeyArn));
        if (f.CallerAccountId is not null || f.KeyAccountId is not null)
        {
            Item(md, "Accounts", MarkdownText.OrDash(f.CallerAccountId) + " → " + MarkdownText.OrDash(f.KeyAccountId));
        }

        Item(md, "Event", MarkdownText.OrDash(f.EventName));
        var counts = new StringBuilder(ReportFormat.Count(f.Count));
        if (f.BaselineMean is not null || f.BaselineStdDev is not null || f.ZScore is not null || f.PValue is not null)
        {
            counts.Append(" vs baseline mean ").Append(ReportFormat.Number(f.BaselineMean))
                .Append(", stddev ").Append(ReportFormat.Number(f.BaselineStdDev))
                .Append(", z ").Append(ReportFormat.Number(f.ZScore))
                .Append(", p ").Append(ReportFormat.PValue(f.PValue));
        }

        Item(md, "Count", counts.ToString());
        if (f.FirstSeen is not null || f.LastSeen is not null)
        {
            Item(md, "Seen", ReportFormat.Timestamp(f.FirstSeen) + " to " + ReportFormat.Timestamp(f.LastSeen));
        }

        var details = DetailsFlattener.Flatten(f.Details);
        if (details.Count > 0)
        {
            md.Append("- **Details:**\n");
            foreach (var (name, value) in details)
            {
                md.Append("  - ").Append(MarkdownText.Escape(name)).Append(": ").Append(MarkdownText.Escape(value)).Append('\n');
            }
        }

        if (f.EventIds.Count > 0)
        {
            Item(md, "Event ids", string.Join(", ", f.EventIds.Take(MaxEventIds).Select(MarkdownText.Escape))
                + (f.EventIds.Count > MaxEventIds ? ", …" : string.Empty));
        }

        md.Append('\n');
    }

    private static void TopTable(StringBuilder md, string heading, string column, IReadOnlyList<TopEntry> entries)
    {
        md.Append("## ").Append(heading).Append("\n\n");
        if (entries.Count == 0)
        {
            md.Append("None.\n\n");
            return;
        }

        md.Append("| # | ").Append(column).Append(" | Decrypt calls | Baseline mean, all days |\n| ---: | --- | ---: | ---: |\n");
        for (var i = 0; i < entries.Count; i++)
        {
            var e = entries[i];
            md.Append("| ").Append(ReportFormat.Count(i + 1)).Append(" | ").Append(MarkdownText.OrDash(e.Name)).Append(" | ").Append(ReportFormat.Count(e.Count))
                .Append(" | ").Append(ReportFormat.Number(e.BaselineMean)).Append(" |\n");
        }

        md.Append('\n');
    }

    private static void Flows(StringBuilder md, IReadOnlyList<AccountFlow> flows)
    {
        md.Append("## Cross-account flows\n\n");
        if (flows.Count == 0)
        {
            md.Append("None.\n");
            return;
        }

        md.Append("| Caller account | Key account | Calls | External |\n| --- | --- | ---: | --- |\n");
        foreach (var flow in flows)
        {
            md.Append("| ").Append(MarkdownText.OrDash(flow.CallerAccountId)).Append(" | ").Append(MarkdownText.OrDash(flow.KeyAccountId))
                .Append(" | ").Append(ReportFormat.Count(flow.Calls)).Append(" | ").Append(flow.External ? "**yes**" : "no").Append(" |\n");
        }
    }

    private static void Row(StringBuilder md, string name, string value) =>
        md.Append("| ").Append(name).Append(" | ").Append(value).Append(" |\n");

    private static void Item(StringBuilder md, string name, string value) =>
        md.Append("- **").Append(name).Append(":** ").Append(value).Append('\n');

    private static string Capitalised(Severity severity)
    {
        var text = severity.ToText();
        return string.Concat(text[..1].ToUpperInvariant(), text.AsSpan(1));
    }
}
