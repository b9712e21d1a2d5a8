using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using Pipeline.Generation;
using Pipeline.Ingest;
using Pipeline.Parsing;
using Pipeline.Query;
using Pipeline.Reporting;
using Pipeline.Sink;

namespace Pipeline.Cli.Commands;

/// <summary>
/// <c>pipeline demo</c>: the whole local path with no AWS account: generate a small organization-trail archive,
/// ingest it into Parquet, and show the first statistics with the embedded DuckDB.
/// </summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var outDir = new Option<string>("--out") { Description = "Working folder for the demo archive and dataset", DefaultValueFactory = _ => "pipeline-demo" };
        var days = new Option<int>("--days") { Description = "Days of CloudTrail to generate, 8-90 (the last one has planted incidents)", DefaultValueFactory = _ => 35 };
        var command = new Command("demo", "Generate a small CloudTrail archive with incidents planted on its last day (yesterday UTC), ingest it, print Decrypt statistics and write the daily report to <out>/report (local files and embedded DuckDB only; no AWS).")
        {
            outDir, days,
        };
        command.SetAction(async (ParseResult r, CancellationToken ct) =>
        {
            var o = r.InvocationConfiguration.Output;
            var root = Path.GetFullPath(r.GetValue(outDir)!);
            var archive = Path.Combine(root, "archive");
            var data = Path.Combine(root, "data");
            var dayCount = r.GetValue(days);
            if (dayCount is < 8 or > 90)
            {
                await r.InvocationConfiguration.Error.WriteLineAsync($"error: --days must be between 8 and 90 (got {dayCount})").ConfigureAwait(false);
                return ExitCodes.UsageError;
            }

            // A folder that cannot be written (the container's read-only /app, where a relative --out lands) is said
            // at once, not met as an exception halfway through generating.
            try
            {
                Directory.CreateDirectory(root);
                var probe = Path.Combine(root, $".pipeline-demo-probe-{Environment.ProcessId}");
                await File.WriteAllTextAsync(probe, string.Empty, ct).ConfigureAwait(false);
                File.Delete(probe);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                await r.InvocationConfiguration.Error.WriteLineAsync($"error: cannot write the demo folder {root}: {e.Message}; pass --out with a folder you can write to (in a container, a mounted one)").ConfigureAwait(false);
                return ExitCodes.UsageError;
            }

            // A second run starts again: the generated days move with the date, and an archive or dataset mixing two
            // runs would double the baseline. Only a folder this command wrote is removed.
            var reportDir = Path.Combine(root, "report");
            if (Directory.Exists(archive) || Directory.Exists(data))
            {
                if (!File.Exists(Path.Combine(archive, "manifest.json")))
                {
                    await r.InvocationConfiguration.Error.WriteLineAsync($"error: {root} holds an archive/ or data/ folder that no earlier demo wrote (no archive/manifest.json); pass another --out").ConfigureAwait(false);
                    return ExitCodes.UsageError;
                }

                await o.WriteLineAsync($"0/3 Removing the previous demo run in {root} (archive, data, report)").ConfigureAwait(false);
                foreach (var folder in new[] { archive, data, reportDir })
                {
                    if (Directory.Exists(folder))
                    {
                        Directory.Delete(folder, recursive: true);
                    }
                }
            }

            var endDate = DateOnly.FromDateTime(DateTime.UtcNow).AddDays(-1);
            await o.WriteLineAsync($"1/3 Generating {dayCount} days of synthetic organization-trail CloudTrail, with incidents planted on the last day, into {archive}").ConfigureAwait(false);
            var manifest = await ArchiveGenerator.GenerateAsync(
                new GeneratorOptions { OutputDirectory = archive, Days = dayCount, EndDate = endDate, Seed = 42, TargetUncompressedBytes = 6L * 1024 * 1024, DeliveryMinutes = 60, Scenario = GeneratorScenario.Anomalies },
                null,
                ct).ConfigureAwait(false);
            await o.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"    {Counted.Of(manifest.Files, "log file")}, {Counted.Of(manifest.Records, "record")}, {manifest.KmsRecords:N0} of them KMS")).ConfigureAwait(false);

            await o.WriteLineAsync($"2/3 Ingesting into {data}").ConfigureAwait(false);
            Directory.CreateDirectory(data);
            var runner = new LocalIngestRunner(
                new IngestOptions { WriterId = "demo" },
                new ReaderOptions(),
                new SinkOptions(),
                new LocalDatasetStore(data),
                TimeProvider.System,
                NullLoggerFactory.Instance);
            var summary = await runner.RunAsync(LocalArchiveWalker.Walk([archive]), ct).ConfigureAwait(false);
            await o.WriteAsync(IngestCommand.Format(summary, data)).ConfigureAwait(false);
            if (summary.Errors.Count > 0)
            {
                return ExitCodes.Failure;
            }

            await o.WriteLineAsync("3/3 First statistics (embedded DuckDB over the Parquet dataset)").ConfigureAwait(false);
            using var query = DatasetQuery.Open(data);
            await o.WriteLineAsync().ConfigureAwait(false);
            await o.WriteLineAsync("Decrypt calls per principal (queries/decrypt_by_principal.sql, top 10):").ConfigureAwait(false);
            await query.WriteResultAsync(BundledQueries.Top(BundledQueries.Read("decrypt_by_principal.sql"), 10), o, QueryOutputFormat.Table, ct).ConfigureAwait(false);
            await o.WriteLineAsync().ConfigureAwait(false);
            await o.WriteLineAsync("Decrypt calls per key (queries/decrypt_by_key.sql, top 10):").ConfigureAwait(false);
            await query.WriteResultAsync(BundledQueries.Top(BundledQueries.Read("decrypt_by_key.sql"), 10), o, QueryOutputFormat.Table, ct).ConfigureAwait(false);
            await o.WriteLineAsync().ConfigureAwait(false);
            var model = await new Pipeline.Analysis.DailyReportBuilder(new Pipeline.Analysis.AnalysisOptions(), TimeProvider.System).BuildAsync(query, endDate, ct).ConfigureAwait(false);
            var files = await Pipeline.Reporting.ReportWriter.WriteAsync(model, reportDir, ct).ConfigureAwait(false);
            await o.WriteLineAsync($"Daily report for {endDate:yyyy-MM-dd}: {model.Findings.Count} findings; open {files.HtmlPath}").ConfigureAwait(false);
            foreach (var f in model.Findings.Take(8))
            {
                await o.WriteLineAsync($"  [{f.SeverityText}] {TerminalText.Escape(f.Title)}").ConfigureAwait(false);
            }

            if (model.Findings.Count > 8)
            {
                await o.WriteLineAsync($"  ... and {model.Findings.Count - 8} more in the report").ConfigureAwait(false);
            }

            await o.WriteLineAsync().ConfigureAwait(false);
            await o.WriteLineAsync("Next (pipeline is src/Pipeline.Cli/bin/Release/net10.0/pipeline after a build, /app/pipeline in the image):").ConfigureAwait(false);
            await o.WriteLineAsync($"  pipeline query queries/high_priority_events.sql --data {data}").ConfigureAwait(false);
            await o.WriteLineAsync($"  pipeline report --data {data} --date {endDate:yyyy-MM-dd} --out {reportDir}").ConfigureAwait(false);
            await o.WriteLineAsync($"  pipeline query \"select event_name, count(*) from kms_events group by 1 order by 2 desc\" --data {data}").ConfigureAwait(false);
            return ExitCodes.Success;
        });
        return command;
    }
}
