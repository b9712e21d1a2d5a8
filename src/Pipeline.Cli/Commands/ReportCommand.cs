using System.CommandLine;
using System.Globalization;
using DuckDB.NET.Data;
using Microsoft.Extensions.Configuration;
using Pipeline.Analysis;
using Pipeline.Ingest;
using Pipeline.Query;
using Pipeline.Reporting;

namespace Pipeline.Cli.Commands;

/// <summary>
/// <c>pipeline report --data DIR --date YYYY-MM-DD --out DIR</c>: the daily anomaly report as report.json,
/// report.md and report.html. With <c>--fail-on SEVERITY</c> the exit code is 4 when a finding at or above it
/// exists, so cron and CI can alert.
/// </summary>
internal static class ReportCommand
{
    public const int FindingsExitCode = 4;

    /// <summary>The section of a <c>--config</c> file that holds the report's thresholds.</summary>
    private const string ReportSection = "Report";

    public static Command Create()
    {
        var data = new Option<string>("--data") { Description = "Dataset folder (holds kms_events/), or the s3://bucket/prefix a worker writes (the days the report reads are copied to --cache first)", Required = true };
        var s3 = new S3DatasetOptions();
        var date = new Option<string?>("--date") { Description = "Report day, YYYY-MM-DD (UTC; default: yesterday)" };
        var output = new Option<string>("--out") { Description = "Folder for report.json, report.md and report.html", DefaultValueFactory = _ => "report" };
        var failOn = new Option<string?>("--fail-on") { Description = "Exit with code 4 when a finding of this severity or higher exists: critical, high, medium, low, info" };
        var config = new Option<string?>("--config") { Description = "JSON file with a \"Report\" section of thresholds (see README)" };
        var baseline = new Option<int?>("--baseline-days") { Description = "Trailing days compared against (default 28)" };
        var z = new Option<double?>("--z-threshold") { Description = "z-score that makes a daily count anomalous (default 4)" };
        var known = new Option<string[]>("--known-account") { Description = "Account id treated as ours (repeatable); the trails' accounts are always known", AllowMultipleArgumentsPerToken = true };
        var command = new Command("report", "Write the daily KMS anomaly report (JSON, Markdown, HTML with charts) for one day.")
        {
            data, date, output, failOn, config, baseline, z, known, s3.Cache, s3.PathStyle, s3.MemoryLimit,
        };
        command.SetAction(async (ParseResult r, CancellationToken ct) =>
        {
            var o = r.InvocationConfiguration.Output;
            var e = r.InvocationConfiguration.Error;
            var day = DateOnly.FromDateTime(DateTime.UtcNow).AddDays(-1);
            if (r.GetValue(date) is { } text && !DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out day))
            {
                await e.WriteLineAsync($"error: --date must be a calendar date as YYYY-MM-DD, got '{text}'").ConfigureAwait(false);
                return ExitCodes.UsageError;
            }

            var (memoryLimit, memoryProblem) = s3.ReadMemoryLimit(r);
            if (memoryProblem is not null)
            {
                await e.WriteLineAsync(memoryProblem).ConfigureAwait(false);
                return ExitCodes.UsageError;
            }

            var today = DateOnly.FromDateTime(DateTime.UtcNow);
            if (day > today)
            {
                await e.WriteLineAsync($"error: --date {day:yyyy-MM-dd} is in the future (today is {today:yyyy-MM-dd} UTC)").ConfigureAwait(false);
                return ExitCodes.UsageError;
            }

            Severity? threshold = null;
            if (r.GetValue(failOn) is { } failText)
            {
                if (!SeverityText.TryParse(failText, out var s))
                {
                    await e.WriteLineAsync($"error: --fail-on must be critical, high, medium, low or info, got '{failText}'").ConfigureAwait(false);
                    return ExitCodes.UsageError;
                }

                threshold = s;
            }

            var options = new AnalysisOptions();
            if (r.GetValue(config) is { } configFile)
            {
                if (!File.Exists(configFile))
                {
                    await e.WriteLineAsync($"error: --config file '{configFile}' does not exist").ConfigureAwait(false);
                    return ExitCodes.UsageError;
                }

                IConfiguration settings;
                try
                {
                    settings = new ConfigurationBuilder().AddJsonFile(Path.GetFullPath(configFile)).Build();
                }
                catch (InvalidDataException ex)
                {
                    await e.WriteLineAsync($"error: cannot read --config file '{configFile}': {SettingsBinder.Describe(ex)}").ConfigureAwait(false);
                    return ExitCodes.UsageError;
                }

                // Every value that does not convert, is out of range or is not a setting, all at once, as ingest and the
                // worker report theirs: a misspelt threshold would otherwise leave its default in force without a word.
                var configProblems = new List<string>();
                if (!settings.GetSection(ReportSection).Exists())
                {
                    configProblems.Add($"the file has no \"{ReportSection}\" section: the report's thresholds go under it, e.g. {{\"{ReportSection}\": {{\"ZThreshold\": 5}}}}.");
                }

                options = SettingsBinder.Analysis(settings, ReportSection, configProblems);
                if (configProblems.Count > 0)
                {
                    foreach (var problem in configProblems)
                    {
                        await e.WriteLineAsync($"error: --config {configFile}: {problem}").ConfigureAwait(false);
                    }

                    return ExitCodes.UsageError;
                }
            }

            // A problem with a value given on the command line names the flag and the value, not the setting.
            var flags = new Dictionary<string, string>(StringComparer.Ordinal);
            if (r.GetValue(baseline) is { } days)
            {
                options.BaselineDays = days;
                flags[nameof(AnalysisOptions.BaselineDays)] = string.Create(CultureInfo.InvariantCulture, $"--baseline-days {days}");
            }

            if (r.GetValue(z) is { } zValue)
            {
                options.ZThreshold = zValue;
                flags[nameof(AnalysisOptions.ZThreshold)] = string.Create(CultureInfo.InvariantCulture, $"--z-threshold {zValue}");
            }

            var knownOnCommandLine = r.GetValue(known) ?? [];
            var problems = AnnotationChecks.Check(options)
                .Select(p => (Where: flags.GetValueOrDefault(string.Join(",", p.MemberNames), $"{ReportSection}:{string.Join(",", p.MemberNames)}"), Text: p.ErrorMessage ?? "invalid"))
                .Concat(knownOnCommandLine.Where(a => !SettingsBinder.IsAccountId(a)).Select(a => (Where: $"--known-account {a}", Text: "not a 12-digit AWS account id")))
                .ToList();
            options.KnownAccounts.AddRange(knownOnCommandLine);
            if (problems.Count > 0)
            {
                foreach (var (where, problem) in problems)
                {
                    await e.WriteLineAsync($"error: {where}: {problem}").ConfigureAwait(false);
                }

                return ExitCodes.UsageError;
            }

            // An s3:// dataset: every day a check reads is copied first (the new-principal lookback, the baseline, and
            // the deletion windows of up to 30 days).
            var from = day.AddDays(-Math.Max(Math.Max(options.NewPrincipalLookbackDays, options.BaselineDays), 31));
            var (dataset, copyExit) = await s3.ResolveAsync(r, r.GetValue(data)!, from, day, o, e, ct).ConfigureAwait(false);
            if (dataset is null)
            {
                return copyExit;
            }

            try
            {
                using var query = DatasetQuery.OpenWritten(dataset, memoryLimit);
                var model = await new DailyReportBuilder(options, TimeProvider.System).BuildAsync(query, day, ct).ConfigureAwait(false);
                var files = await ReportWriter.WriteAsync(model, r.GetValue(output)!, ct).ConfigureAwait(false);
                await o.WriteLineAsync(Summary(model, files)).ConfigureAwait(false);
                return threshold is { } t && model.Findings.Any(f => f.Severity >= t) ? FindingsExitCode : ExitCodes.Success;
            }
            catch (DatasetNotFoundException ex)
            {
                await e.WriteLineAsync("error: " + ex.Message).ConfigureAwait(false);
                return ExitCodes.UsageError;
            }
            catch (Exception ex) when (ex is DuckDBException or IOException or UnauthorizedAccessException)
            {
                await e.WriteLineAsync("error: " + ex.Message).ConfigureAwait(false);
                return ExitCodes.Failure;
            }
        });
        return command;
    }

    private static string Summary(ReportModel model, ReportFiles files)
    {
        var w = new StringWriter(CultureInfo.InvariantCulture);
        w.WriteLine($"KMS report for {model.ReportDate:yyyy-MM-dd}, baseline {ReportFormat.Baseline(model)}");
        w.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  actions {model.Summary.KmsEvents:N0}, decrypts {model.Summary.DecryptCalls:N0}, principals {model.Summary.Principals:N0}, keys {model.Summary.Keys:N0}"));
        var counts = string.Join(", ", model.Summary.FindingsBySeverity.Where(p => p.Value > 0).Select(p => $"{p.Value} {p.Key}"));
        w.WriteLine("  findings: " + (counts.Length == 0 ? "none" : counts));
        foreach (var note in model.Notes)
        {
            w.WriteLine("  note: " + TerminalText.Escape(note));
        }

        foreach (var f in model.Findings.Take(20))
        {
            w.WriteLine($"  [{f.SeverityText,-8}] {f.Kind,-32} {TerminalText.Escape(f.Title)}");
        }

        if (model.Findings.Count > 20)
        {
            w.WriteLine($"  ... and {model.Findings.Count - 20} more in the report");
        }

        w.WriteLine($"  wrote {files.JsonPath}, {files.MarkdownPath}, {files.HtmlPath}");
        return w.ToString();
    }
}
