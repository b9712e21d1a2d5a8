using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Pipeline.Generation;

namespace Pipeline.Cli.Commands;

/// <summary><c>pipeline generate</c>: writes a synthetic, deterministic CloudTrail organization-trail archive.</summary>
internal static class GenerateCommand
{
    public static Command Create()
    {
        var outDir = new Option<string>("--out") { Description = "Output directory (AWSLogs/... and manifest.json are written there)", Required = true };
        var days = new Option<int>("--days") { Description = "Number of delivery days", DefaultValueFactory = _ => 30 };
        var endDate = new Option<string?>("--end-date") { Description = "Last day, YYYY-MM-DD (default: yesterday UTC)" };
        var seed = new Option<long>("--seed") { Description = "Random seed; same arguments give byte-identical output", DefaultValueFactory = _ => 42 };
        var sizeMb = new Option<double>("--size-mb") { Description = "Target total decompressed size of the log files, in MB", DefaultValueFactory = _ => 20 };
        var singleFile = new Option<bool>("--single-file") { Description = "Write every record into one log file" };
        var deliveryMinutes = new Option<int>("--delivery-minutes")
        {
            Description = "Minutes between log files of one account and region (AWS: 5); longer gives fewer, bigger files",
            DefaultValueFactory = _ => GeneratorOptions.DefaultDeliveryMinutes,
        };

        var scenario = new Option<string>("--scenario")
        {
            Description = "What to plant: none, or anomalies (quiet background, one incident per finding kind and decoys on --end-date, answer key in scenario.json)",
            DefaultValueFactory = _ => "none",
        };
        scenario.AcceptOnlyFromAmong("none", "anomalies");

        var command = new Command("generate", "Generate a synthetic CloudTrail archive (KMS and background events) for tests and benchmarks.")
        {
            outDir, days, endDate, seed, sizeMb, singleFile, deliveryMinutes, scenario,
        };
        command.SetAction(async (ParseResult r, CancellationToken ct) =>
        {
            var end = DateOnly.FromDateTime(DateTime.UtcNow).AddDays(-1);
            var endText = r.GetValue(endDate);
            if (endText is not null && !DateOnly.TryParseExact(endText, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out end))
            {
                return Fail($"--end-date must be a calendar date as YYYY-MM-DD, got '{endText}'.");
            }

            var dayCount = r.GetValue(days);
            var size = r.GetValue(sizeMb);
            if (dayCount < 1)
            {
                return Fail("--days must be at least 1.");
            }

            var interval = r.GetValue(deliveryMinutes);
            if (interval is < GeneratorOptions.DefaultDeliveryMinutes or > GeneratorOptions.MaxDeliveryMinutes)
            {
                return Fail($"--delivery-minutes must be between {GeneratorOptions.DefaultDeliveryMinutes} and {GeneratorOptions.MaxDeliveryMinutes}, got {interval}.");
            }

            if (!(size > 0))
            {
                return Fail("--size-mb must be positive.");
            }

            var options = new GeneratorOptions
            {
                OutputDirectory = r.GetValue(outDir)!,
                Days = dayCount,
                EndDate = end,
                Seed = r.GetValue(seed),
                TargetUncompressedBytes = (long)(size * 1024 * 1024),
                SingleFile = r.GetValue(singleFile),
                DeliveryMinutes = interval,
                Scenario = r.GetValue(scenario) == "anomalies" ? GeneratorScenario.Anomalies : GeneratorScenario.None,
            };

            var watch = Stopwatch.StartNew();
            GenerationManifest manifest;
            try
            {
                manifest = await ArchiveGenerator.GenerateAsync(options, new ConsoleProgress(), ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return Fail($"cannot write to '{options.OutputDirectory}': {ex.Message}");
            }

            if (!Console.IsErrorRedirected)
            {
                Console.Error.WriteLine();
            }

            var o = Console.Out;
            o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"files:                  {manifest.Files} (+{manifest.DigestFiles} digests)"));
            o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"records:                {manifest.Records}"));
            o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"kms records:            {manifest.KmsRecords}"));
            o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"distinct kms event ids: {manifest.DistinctKmsEventIds}"));
            o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"decompressed:           {manifest.UncompressedBytes / 1048576.0:F1} MB ({manifest.CompressedBytes / 1048576.0:F1} MB gzip)"));
            o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"seconds:                {watch.Elapsed.TotalSeconds:F1}"));
            o.WriteLine($"manifest:               {Path.Combine(options.OutputDirectory, ArchiveGenerator.ManifestFileName)}");
            if (manifest.Scenario is not null)
            {
                o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"scenario:               {Path.Combine(options.OutputDirectory, ScenarioAnswerKey.FileName)} (report day {manifest.Scenario.ReportDate}, {manifest.Scenario.Expected.Count} expected findings, {manifest.Scenario.Decoys.Count} decoys)"));
            }
            return 0;
        });
        return command;
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine($"error: {message}");
        return 2;
    }

    /// <summary>One redrawn line on a terminal; a plain line every few seconds when stderr is redirected.</summary>
    private sealed class ConsoleProgress : IProgress<GenerationProgress>
    {
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private readonly Lock _gate = new();
        private long _lastMs = -10_000;

        public void Report(GenerationProgress value)
        {
            var interactive = !Console.IsErrorRedirected;
            lock (_gate)
            {
                var now = _clock.ElapsedMilliseconds;
                if (now - _lastMs < (interactive ? 200 : 5000))
                {
                    return;
                }

                _lastMs = now;
                var line = string.Create(CultureInfo.InvariantCulture, $"generate: {value.Fraction * 100,3:F0}% ({value.UncompressedBytes / 1048576.0:F0}/{value.TargetBytes / 1048576.0:F0} MB, {value.Files} files)");
                if (interactive)
                {
                    Console.Error.Write("\r" + line);
                }
                else
                {
                    Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{DateTime.UtcNow:HH:mm:ss} {line}"));
                }
            }
        }
    }
}
