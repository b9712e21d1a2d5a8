namespace Pipeline.Reporting;

/// <summary>
/// The page's only stylesheet, inlined so report.html is one file that opens offline, from an attachment or an S3
/// download, with no fonts or assets fetched at view time.
/// </summary>
internal static class HtmlReportStyles
{
    public const string Css = """
        :root { --fg:#1f2933; --muted:#616e7c; --line:#d9e2ec; --bg:#f5f7fa; --card:#fff;
                --critical:#b91c1c; --high:#ea580c; --medium:#b45309; --low:#2563eb; --info:#6b7280; }
        * { box-sizing: border-box; }
        body { margin: 0; padding: 24px 32px; font: 14px/1.45 "DejaVu Sans", "Liberation Sans", Arial, sans-serif; color: var(--fg); background: var(--bg); }
        header h1 { margin: 0 0 4px; font-size: 24px; }
        header p { margin: 2px 0; color: var(--muted); }
        h2 { margin: 28px 0 10px; font-size: 18px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
        .mono { font-family: "DejaVu Sans Mono", "Liberation Mono", monospace; font-size: 12px; word-break: break-all; }
        .cards { display: flex; flex-wrap: wrap; gap: 10px; }
        .card { background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: 10px 14px; min-width: 128px; }
        .card .value { font-size: 22px; font-weight: bold; }
        .card .label { color: var(--muted); font-size: 12px; }
        .card.sev { border-top: 4px solid var(--info); }
        .card.sev-critical { border-top-color: var(--critical); } .card.sev-high { border-top-color: var(--high); }
        .card.sev-medium { border-top-color: var(--medium); } .card.sev-low { border-top-color: var(--low); }
        table { border-collapse: collapse; background: var(--card); width: 100%; }
        th, td { border: 1px solid var(--line); padding: 5px 8px; text-align: left; vertical-align: top; }
        th { background: #eef2f7; font-size: 12px; }
        td.num, th.num { text-align: right; white-space: nowrap; }
        td.mono { min-width: 190px; }
        td.details { min-width: 130px; max-width: 560px; overflow-wrap: anywhere; }
        td.finding { min-width: 200px; overflow-wrap: anywhere; }
        .table-wrap { overflow-x: auto; }
        .nowrap { white-space: nowrap; word-break: normal; }
        .badge { display: inline-block; padding: 1px 8px; border-radius: 10px; color: #fff; font-size: 11px; font-weight: bold; text-transform: uppercase; background: var(--info); }
        .badge.critical { background: var(--critical); } .badge.high { background: var(--high); }
        .badge.medium { background: var(--medium); } .badge.low { background: var(--low); }
        details summary { cursor: pointer; color: var(--muted); }
        dl.facts { margin: 4px 0; display: grid; grid-template-columns: max-content 1fr; gap: 2px 10px; }
        dl.facts dt { color: var(--muted); }
        dl.facts dd { margin: 0; overflow-wrap: anywhere; }
        .empty-note { color: var(--muted); font-style: italic; }
        .data-notes { background: #fffbeb; border: 1px solid #f59e0b; border-radius: 6px; padding: 8px 14px 8px 30px; margin: 14px 0 0; }
        .charts { display: flex; flex-direction: column; gap: 14px; }
        figure { margin: 0; }
        figcaption { color: var(--muted); font-size: 12px; margin-top: 2px; }
        svg { max-width: 100%; height: auto; }
        svg .frame { fill: #fff; stroke: var(--line); }
        svg text { font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif; fill: var(--fg); }
        svg .chart-title { font-size: 14px; font-weight: bold; }
        svg .legend, svg .axis-label, svg .axis-title, svg .bar-value { font-size: 11px; fill: var(--muted); }
        svg .bar-label { font-size: 11px; font-family: "DejaVu Sans Mono", "Liberation Mono", monospace; }
        svg .today-date { font-weight: bold; fill: var(--critical); }
        svg .grid { stroke: #edf0f4; }
        svg .axis { stroke: #9aa5b1; }
        svg .band { fill: #7fb3e6; fill-opacity: 0.35; stroke: #5a9bd8; stroke-opacity: 0.6; }
        svg .mean { stroke: #1d4e89; stroke-width: 1.5; stroke-dasharray: 5 3; }
        svg .bar { fill: #94a3b8; }
        svg .bar.today { fill: #f59e0b; }
        svg .bar.today.above { fill: var(--critical); }
        svg .today-column { fill: #fde68a; fill-opacity: 0.45; }
        svg .today-label { font-size: 12px; font-weight: bold; fill: var(--critical); }
        svg .trend { fill: none; stroke: #334e68; stroke-width: 1.2; stroke-opacity: 0.7; }
        svg .hbar { fill: #5a9bd8; }
        svg .hbar.highlight { fill: var(--critical); }
        svg .marker { stroke: #1f2933; stroke-width: 2; }
        svg .empty { font-size: 13px; fill: var(--muted); font-style: italic; }
        tr.external td { background: #fff1f0; }
        footer { margin-top: 30px; color: var(--muted); font-size: 12px; }
        """;
}
