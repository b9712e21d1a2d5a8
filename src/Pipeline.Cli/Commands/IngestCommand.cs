using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Pipeline.Ingest;
using Pipeline.Parsing;
using Pipeline.Reporting;
using Pipeline.Sink;

namespace Pipeline.Cli.Commands;

/// <summary><c>pipeline ingest</c>: local CloudTrail files or folders into the Parquet dataset.</summary>
internal static class IngestCommand
{
    public static Command Create()
    {
        var inputs = new Argument<string[]>("inputs") { Description = "CloudTrail log files or folders (walked recursively; digest and Insight files are skipped, other *.json, *.jsonl, *.ndjson and *.gz files are read if they hold CloudTrail records: a Records array, aws cloudtrail lookup-events output, one record per line, a bare array of records, EventBridge events or CloudWatch Logs batches; archives such as .zip, .tar or .tar.gz are not opened: unpack them first)", Arity = ArgumentArity.OneOrMore };
        var output = new Option<string>("--out") { Description = "Dataset folder (created if missing); rows go to <out>/kms_events/event_date=YYYY-MM-DD/", Required = true };
        var parallel = new Option<int>("--parallel") { Description = "Files read at once", DefaultValueFactory = _ => Environment.ProcessorCount };
        var force = new Option<bool>("--force") { Description = "Read files again even if the ledger says they were ingested" };
        var maxBytes = new Option<long>("--max-decompressed-mb") { Description = "Refuse objects that decompress to more than this (gzip-bomb guard; default Reader:MaxDecompressedBytes, 8192)" };
        var config = new Option<string?>("--config") { Description = "Extra JSON settings file for the Sink and Reader sections (same shape as appsettings.json)" };
        var verbose = new Option<bool>("--verbose") { Description = "Log every file" };
        var command = new Command("ingest", "Read CloudTrail log files (a trail's folder tree, or files: .json.gz, .json, .jsonl, lookup-events output; see the README) and write their KMS events to Hive-partitioned Parquet.")
        {
            inputs, output, parallel, force, maxBytes, config, verbose,
        };
        command.SetAction(async (result, ct) =>
        {
            var stdout = result.InvocationConfiguration.Output;
            var stderr = result.InvocationConfiguration.Error;
            var errors = new List<string>();
            var paths = result.GetValue(inputs) ?? [];
            var outDir = result.GetValue(output)!;
            var parallelism = result.GetValue(parallel);
            if (parallelism is < 1 or > 256)
            {
                errors.Add($"--parallel must be between 1 and 256 (got {parallelism})");
            }

            var (sinkOptions, readerOptions) = Settings(result.GetValue(config), errors);
            if (result.GetResult(maxBytes) is { Implicit: false })
            {
                var cap = result.GetValue(maxBytes);
                if (cap < 1)
                {
                    errors.Add($"--max-decompressed-mb must be at least 1 (got {cap})");
                }

                readerOptions.MaxDecompressedBytes = cap * 1024 * 1024;
            }

            using var loggers = CliLogging.Create(result.GetValue(verbose));
            var walk = LocalArchiveWalker.Start(paths, exclude: outDir, loggers.CreateLogger(typeof(LocalArchiveWalker).FullName!));
            errors.AddRange(walk.Missing.Select(m => $"input '{m}' does not exist"));
            if (errors.Count > 0)
            {
                foreach (var e in errors)
                {
                    await stderr.WriteLineAsync("error: " + e).ConfigureAwait(false);
                }

                return ExitCodes.UsageError;
            }

            LocalDatasetStore store;
            try
            {
                Directory.CreateDirectory(outDir);
                store = new LocalDatasetStore(outDir);
                store.CleanupStaleTempFiles(TimeSpan.FromHours(1));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                await stderr.WriteLineAsync($"error: cannot use '{outDir}' as the dataset folder: {ex.Message}").ConfigureAwait(false);
                return ExitCodes.UsageError;
            }

            var runner = new LocalIngestRunner(
                new IngestOptions { Parallelism = parallelism, Force = result.GetValue(force), WriterId = DatasetLayout.DefaultWriterId() },
                readerOptions,
                sinkOptions,
                store,
                TimeProvider.System,
                loggers);

            IngestSummary summary;
            var display = new ProgressDisplay(() => Describe(runner.Progress), stderr, ReferenceEquals(stderr, Console.Error) ? null : false);
            await using (display.ConfigureAwait(false))
            {
                summary = await runner.RunAsync(walk, ct).ConfigureAwait(false);
            }

            await stdout.WriteAsync(Format(summary, outDir)).ConfigureAwait(false);
            foreach (var e in summary.Errors)
            {
                // A file name may hold a newline or terminal escapes: one error is one line, shown as text.
                await stderr.WriteLineAsync("error: " + Pipeline.Query.TerminalText.Escape(e.Message)).ConfigureAwait(false);
            }

            return summary.Errors.Count == 0 ? ExitCodes.Success : ExitCodes.Failure;
        });
        return command;
    }

    /// <summary>
    /// The <c>Sink</c> and <c>Reader</c> settings, from the same sources as the worker's: <c>appsettings.json</c> next
    /// to the binary, the <c>--config</c> file, then environment variables (<c>Sink__FlushBytes</c>), later winning.
    /// </summary>
    private static (SinkOptions Sink, ReaderOptions Reader) Settings(string? configFile, List<string> errors)
    {
        var builder = new ConfigurationBuilder().AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true);
        if (configFile is not null)
        {
            if (File.Exists(configFile))
            {
                builder.AddJsonFile(Path.GetFullPath(configFile), optional: false);
            }
            else
            {
                errors.Add($"--config file '{configFile}' does not exist");
            }
        }

        IConfiguration configuration;
        try
        {
            configuration = builder.AddEnvironmentVariables().Build();
        }
        catch (InvalidDataException e)
        {
            errors.Add("cannot read the settings: " + SettingsBinder.Describe(e));
            return (new SinkOptions(), new ReaderOptions());
        }

        var problems = new List<string>();
        var sink = SettingsBinder.Sink(configuration, problems);
        var reader = SettingsBinder.Reader(configuration, problems);
        errors.AddRange(problems);
        return (sink, reader);
    }

    private static (double, string) Describe(IngestProgress? p)
    {
        if (p is null || p.TotalFiles == 0)
        {
            return (0, "starting");
        }

        if (p.TotalFiles is not { } total)
        {
            return (0, string.Create(
                CultureInfo.InvariantCulture,
                $"{p.FilesDone} files (still listing the folders), {p.BytesDecompressed / 1e6:F0} MB read, {p.KmsRows:N0} KMS rows, {p.FilesFailed} failed"));
        }

        return (Math.Min(1.0, (double)p.FilesDone / total), string.Create(
            CultureInfo.InvariantCulture,
            $"{p.FilesDone}/{total} files, {p.BytesDecompressed / 1e6:F0} MB read, {p.KmsRows:N0} KMS rows, {p.FilesFailed} failed"));
    }

    internal static string Format(IngestSummary s, string outDir)
    {
        var c = CultureInfo.InvariantCulture;
        var w = new StringWriter(c);
        w.WriteLine($"Ingested into {outDir}");
        w.WriteLine(string.Create(c, $"  files          {Counted.Of(s.Files, "log file")} ({s.FilesSkippedAlreadyIngested:N0} already ingested, {s.Errors.Count:N0} failed); skipped {s.DigestFilesSkipped:N0} digest, {s.InsightFilesSkipped:N0} Insight, {s.OtherFilesSkipped:N0} other files"));
        if (s.PackedFilesSkipped > 0)
        {
            var more = s.PackedFilesSkipped > s.PackedExamples.Count ? $"; {s.PackedFilesSkipped - s.PackedExamples.Count:N0} more" : string.Empty;
            w.WriteLine(string.Create(c, $"  not read       {Counted.Of(s.PackedFilesSkipped, "archive or compressed file")}, which ingest does not open: {string.Join("; ", s.PackedExamples.Select(PackedFile.Explain))}{more}"));
        }

        if (s.Files == 0 && s.OtherFilesSkipped > 0)
        {
            w.WriteLine("  note           none of them is a CloudTrail log file: ingest reads CloudTrail records (log documents {\"Records\":[...]}, aws cloudtrail lookup-events output, one record per line, a bare array of records, EventBridge events or CloudWatch Logs batches of records; gzip or plain) in files named *.json, *.jsonl, *.ndjson or *.gz, or any file named on the command line; --verbose names every file passed over and why");
        }

        w.WriteLine(string.Create(c, $"  records        {s.Records:N0} read, {s.KmsRows:N0} KMS"));
        if (s.DerivedEventIds > 0)
        {
            w.WriteLine(string.Create(c, $"  no eventID     {s.DerivedEventIds:N0} KMS records had none and are stored with event_id no-event-id:<hash of the record's bytes>"));
        }

        w.WriteLine(string.Create(c, $"  written        {Counted.Of(s.RowsWritten, "row")} in {Counted.Of(s.ParquetFiles, "Parquet file")}"));
        w.WriteLine(string.Create(c, $"  bytes          {s.BytesIn / 1e6:F1} MB in (compressed), {s.BytesDecompressed / 1e6:F1} MB decompressed, {s.BytesOut / 1e6:F1} MB Parquet out"));
        w.WriteLine(string.Create(c, $"  time           {s.Elapsed.TotalSeconds:F2} s wall, {s.CpuTime.TotalSeconds:F2} s CPU"));
        w.WriteLine(string.Create(c, $"  throughput     {s.DecompressedMbPerSecond:F1} MB/s wall, {s.DecompressedMbPerCpuSecond:F1} MB per CPU-second (decompressed)"));
        w.WriteLine(string.Create(c, $"  errors         {s.Errors.Count:N0}"));
        return w.ToString();
    }
}
