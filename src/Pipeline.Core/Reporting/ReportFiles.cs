namespace Pipeline.Reporting;

/// <summary>Where <see cref="ReportWriter"/> put the three renderings of one report.</summary>
internal sealed record ReportFiles(string JsonPath, string MarkdownPath, string HtmlPath);
