using System.Diagnostics;
using System.Globalization;
using System.Text;
using DuckDB.NET.Data;
using Pipeline.Ingest;

namespace Pipeline.Benchmarks.Throughput;

/// <summary>
/// End-to-end throughput over one archive, every measurement in its own fresh process (CPU time and peak RSS are
/// per measurement): the gzip floor (through GZipStream and through ingest's own decoder), the plain tokenizer, ingest's read
/// stage without its output, the real
/// <c>pipeline ingest</c>, and optionally DuckDB's
/// <c>read_json</c>, and optionally <c>pipeline worker</c> draining the same files through the fauxqs S3 + SQS emulator.
/// Usage: <c>throughput --input DIR [--duckdb] [--emulator [--workers N] [--worker-setting Key=Value]... [--keys-per-message N] [--timeline]] [--out WORKDIR] [--pipeline path/to/pipeline.dll]</c>.
/// </summary>
internal static class ThroughputCommand
{
    public const string Name = "throughput";
    private const string TimeBinary = "/usr/bin/time";
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static int Run(string[] args) => RunAsync(args).GetAwaiter().GetResult();

    private static async Task<int> RunAsync(string[] args)
    {
        string? input = null;
        string? work = null;
        string? pipeline = null;
        var duck = false;
        var emulator = false;
        var timeline = false;
        var workers = 1;
        var keysPerMessage = 0;
        var workerSettings = new List<KeyValuePair<string, string>>();
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--input" when i + 1 < args.Length: input = args[++i]; break;
                case "--out" when i + 1 < args.Length: work = args[++i]; break;
                case "--pipeline" when i + 1 < args.Length: pipeline = args[++i]; break;
                case "--duckdb": duck = true; break;
                case "--emulator": emulator = true; break;
                case "--timeline": timeline = true; break;
                case "--worker-setting" when i + 1 < args.Length && args[i + 1].IndexOf('=', StringComparison.Ordinal) > 0:
                    var setting = args[++i];
                    workerSettings.Add(new(setting[..setting.IndexOf('=', StringComparison.Ordinal)], setting[(setting.IndexOf('=', StringComparison.Ordinal) + 1)..]));
                    break;
                case "--workers" when i + 1 < args.Length && int.TryParse(args[i + 1], NumberStyles.None, Inv, out workers) && workers is >= 1 and <= 8: i++; break;
                case "--keys-per-message" when i + 1 < args.Length && int.TryParse(args[i + 1], NumberStyles.None, Inv, out keysPerMessage) && keysPerMessage is >= 1 and <= 100: i++; break;
                default:
                    Console.Error.WriteLine($"unknown or incomplete argument '{args[i]}'");
                    Console.Error.WriteLine("usage: throughput --input DIR [--duckdb] [--emulator [--workers 1-8] [--worker-setting Key=Value]... [--keys-per-message 1-100] [--timeline]] [--out WORKDIR] [--pipeline path/to/pipeline.dll]");
                    return 2;
            }
        }

        if (input is null || !Directory.Exists(input) && !File.Exists(input))
        {
            Console.Error.WriteLine("error: --input must name an existing archive folder or file");
            return 2;
        }

        pipeline ??= FindPipelineDll();
        if (pipeline is null || !File.Exists(pipeline))
        {
            Console.Error.WriteLine("error: pipeline.dll not found; build src/Pipeline.Cli in Release or pass --pipeline");
            return 2;
        }

        input = Path.GetFullPath(input);
        var keepWork = work is not null;
        work = Path.GetFullPath(work ?? Path.Combine(Path.GetTempPath(), "pipeline-throughput-" + Environment.ProcessId));
        Directory.CreateDirectory(work);
        var walk = LocalArchiveWalker.Walk([input]);
        var logFiles = walk.NamedLogFiles;
        var compressed = logFiles.Sum(f => f.Length);
        var digests = (await walk.Counted).Digests;
        Console.WriteLine(string.Create(Inv, $"input: {input}: {logFiles.Count} log files, {compressed / 1e6:F1} MB compressed ({digests} digests skipped); {Environment.ProcessorCount} cores"));
        Console.WriteLine(File.Exists(TimeBinary) ? $"CPU/RSS/wall per child via {TimeBinary} (whole process, runtime start-up included)" : "CPU/RSS via the child's own report (install 'time' for whole-process figures)");
        Console.WriteLine("every child runs with DOTNET_TieredCompilation=0, the setting pipeline.dll ships with");

        var self = SelfCommand();
        var rows = new List<Measurement>
        {
            Measure("gzip floor", self.Exe, [.. self.Prefix, MeasureChild.Name, "gzip", input, work]),
            Measure("gzip floor, ingest's decoder", self.Exe, [.. self.Prefix, MeasureChild.Name, "gzip-decoder", input, work]),
            Measure("plain tokenizer", self.Exe, [.. self.Prefix, MeasureChild.Name, "tokenizer", input, work]),
            Measure("ingest read stage (no Parquet)", self.Exe, [.. self.Prefix, MeasureChild.Name, "read", input, work]),
        };

        var ingestOut = Path.Combine(work, "ingest");
        if (Directory.Exists(ingestOut))
        {
            Directory.Delete(ingestOut, recursive: true);
        }

        var ingest = Measure("pipeline ingest", "dotnet", [pipeline, "ingest", input, "--out", ingestOut]);
        ingest = ingest with { Rows = ParseSummaryNumber(ingest.Stdout, "records", "KMS"), Written = ParseSummaryNumber(ingest.Stdout, "written", "rows") };
        ingest = ingest with { Distinct = DistinctEventIds(ingestOut) };
        rows.Add(ingest);
        if (duck)
        {
            var duckRow = Measure("duckdb read_json", self.Exe, [.. self.Prefix, MeasureChild.Name, "duckdb", input, work]);
            if (duckRow.ExitCode != 0)
            {
                // As an analyst would: rerun with every file sampled for the schema (DuckDB's own advice).
                Console.Error.WriteLine("DuckDB's default schema sampling failed on these files; measuring it again with every file sampled (maximum_sample_files = -1)");
                duckRow = Measure("duckdb read_json (all files sampled)", self.Exe, [.. self.Prefix, MeasureChild.Name, "duckdb-all-files", input, work]);
            }

            rows.Add(duckRow);
        }

        if (emulator)
        {
            rows.Add(await MeasureEmulatorAsync(input, logFiles, pipeline, work, workers, workerSettings, keysPerMessage, timeline));
        }

        var decompressed = rows[0].Bytes;
        Print(rows, decompressed);
        if (emulator)
        {
            var drained = rows[^1];
            Console.WriteLine(string.Create(
                Inv,
                $"emulator vs local: {decompressed / 1e6 / drained.Wall:F1} MB/s through S3 + SQS ({workers} worker process{(workers == 1 ? "" : "es")}) vs {decompressed / 1e6 / ingest.Wall:F1} MB/s `pipeline ingest` = {ingest.Wall / drained.Wall:P0} of the local wall throughput; "
                + $"CPU per MB {drained.Cpu / (decompressed / 1e6) * 1000:F2} ms (worker) vs {ingest.Cpu / (decompressed / 1e6) * 1000:F2} ms (ingest) = {ingest.Cpu / drained.Cpu:P0}; the emulator (node) used {drained.EmulatorCpu:F2} CPU s meanwhile on the same cores"));
            if (drained.Steady.Seconds > 0)
            {
                var steady = decompressed / 1e6 * drained.Steady.Fraction / drained.Steady.Seconds;
                Console.WriteLine(string.Create(
                    Inv,
                    $"first object read {drained.FirstRead.TotalSeconds:F2} s after the worker started; steady state (a running worker: first object read to last, {drained.Steady.Fraction:P0} of the bytes in {drained.Steady.Seconds:F2} s): {steady:F1} MB/s = {steady / (decompressed / 1e6 / ingest.Wall):P0} of `pipeline ingest`'s whole-run {decompressed / 1e6 / ingest.Wall:F1} MB/s"));
            }
        }

        var ok = Check(rows);
        if (!keepWork)
        {
            Directory.Delete(work, recursive: true);
        }

        return ok && rows.All(r => r.ExitCode == 0) ? 0 : 1;
    }

    private static async Task<Measurement> MeasureEmulatorAsync(string input, IReadOnlyList<LocalSource> files, string pipeline, string work, int workers, List<KeyValuePair<string, string>> settings, int keysPerMessage, bool timeline)
    {
        Console.Error.WriteLine("running pipeline worker through the emulator ...");
        var output = Path.Combine(work, "worker");
        if (Directory.Exists(output))
        {
            Directory.Delete(output, recursive: true);
        }

        await using var emulator = await EmulatorDrain.StartAsync();
        var (queueUrl, bucket) = await emulator.LoadAsync(input, files, keysPerMessage);
        var d = await emulator.DrainAsync(pipeline, queueUrl, bucket, output, work, workers, settings, timeline);
        if (!d.Ok)
        {
            Console.Error.WriteLine($"the worker drain did not end cleanly ({d.MessagesLeft} messages left on the queue)");
        }

        var name = workers == 1 ? "pipeline worker via emulator" : $"{workers} pipeline workers via emulator";
        return new Measurement(name, d.Ok ? 0 : 1, d.Drained.TotalSeconds, d.WorkerCpu, d.PeakKb, -1, d.Rows, -1, DistinctEventIds(output), "") { EmulatorCpu = d.EmulatorCpu, Steady = d.Steady, FirstRead = d.FirstRead };
    }

    private static Measurement Measure(string name, string exe, string[] args)
    {
        Console.Error.WriteLine($"running {name} ...");
        var timeFile = Path.GetTempFileName();
        var useTime = File.Exists(TimeBinary);
        var start = new ProcessStartInfo(useTime ? TimeBinary : exe) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (useTime)
        {
            foreach (var a in new[] { "-f", "%e %U %S %M", "-o", timeFile, exe })
            {
                start.ArgumentList.Add(a);
            }
        }

        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        // The baselines run under the JIT configuration pipeline.dll ships with (no tiered compilation: see
        // src/Pipeline.Cli/Pipeline.Cli.csproj), so the comparison is about the work done, not about start-up tiers.
        start.Environment["DOTNET_TieredCompilation"] = "0";

        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {exe}");
        var stderr = process.StandardError.ReadToEndAsync();
        var stdoutTask = process.StandardOutput.ReadToEndAsync();

        // Without /usr/bin/time the child's CPU and peak RSS are sampled while it runs (Linux drops them at exit).
        var cpu = TimeSpan.Zero;
        long peak = 0;
        while (!process.WaitForExit(50))
        {
            try
            {
                process.Refresh();
                cpu = process.TotalProcessorTime;
                peak = Math.Max(peak, process.PeakWorkingSet64);
            }
            catch (InvalidOperationException)
            {
            }
        }

        var wall = clock.Elapsed.TotalSeconds;
        var stdout = stdoutTask.GetAwaiter().GetResult();
        var errors = stderr.GetAwaiter().GetResult();
        var m = new Measurement(name, process.ExitCode, wall, cpu.TotalSeconds, peak / 1024, -1, -1, -1, -1, stdout);
        if (process.ExitCode != 0)
        {
            Console.Error.WriteLine($"{name} failed with exit code {process.ExitCode}:\n{errors}");
        }

        var own = stdout.Split('\n').FirstOrDefault(l => l.StartsWith("RESULT ", StringComparison.Ordinal));
        if (own is not null)
        {
            var kv = own[7..].Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(p => p.Split('=')).ToDictionary(p => p[0], p => p[1]);
            m = m with
            {
                Cpu = double.Parse(kv["cpu"], Inv),
                PeakKb = long.Parse(kv["hwm_kb"], Inv),
                Bytes = long.Parse(kv["bytes"], Inv),
                Rows = long.Parse(kv["rows"], Inv),
                Distinct = long.Parse(kv["distinct"], Inv),
            };
        }

        if (useTime)
        {
            var t = File.ReadAllText(timeFile).Trim().Split('\n')[^1].Split(' ');
            if (t.Length == 4)
            {
                m = m with
                {
                    Wall = double.Parse(t[0], Inv),
                    Cpu = double.Parse(t[1], Inv) + double.Parse(t[2], Inv),
                    PeakKb = long.Parse(t[3], Inv),
                };
            }
        }

        File.Delete(timeFile);
        return m;
    }

    private static void Print(List<Measurement> rows, long decompressed)
    {
        var mb = decompressed / 1e6;
        var tok = rows.First(r => r.Name == "plain tokenizer");
        var duck = rows.FirstOrDefault(r => r.Name.StartsWith("duckdb", StringComparison.Ordinal));
        var sb = new StringBuilder();
        sb.AppendLine(string.Create(Inv, $"decompressed: {mb:F1} MB (1 MB = 10^6 bytes); ratios are this row's CPU s (wall s) / the reference's"));
        sb.AppendLine("| measurement | wall s | CPU s | MB per CPU-s | wall MB/s | peak RSS MB | KMS rows | distinct eventIDs | CPU (wall) vs tokenizer | CPU (wall) vs DuckDB |");
        sb.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in rows)
        {
            var rowsText = r.Rows < 0 ? "" : r.Written >= 0 && r.Written != r.Rows ? $"{r.Rows} ({r.Written} written)" : r.Rows.ToString(Inv);
            sb.AppendLine(string.Create(
                Inv,
                $"| {r.Name} | {r.Wall:F2} | {r.Cpu:F2} | {mb / r.Cpu:F1} | {mb / r.Wall:F1} | {r.PeakKb / 1024.0:F0} | {rowsText} | {(r.Distinct < 0 ? "" : r.Distinct.ToString(Inv))} | {Ratio(r, tok)} | {(duck is null ? "" : Ratio(r, duck))} |"));
        }

        Console.WriteLine(sb.ToString());
    }

    private static string Ratio(Measurement r, Measurement reference) => string.Create(Inv, $"{r.Cpu / reference.Cpu:F2}x ({r.Wall / reference.Wall:F2}x)");

    private static bool Check(List<Measurement> rows)
    {
        var counted = rows.Where(r => r.Rows >= 0).ToList();
        var ok = counted.Select(r => r.Rows).Distinct().Count() <= 1 && counted.All(r => r.Written < 0 || r.Written == r.Rows);
        var distinct = counted.Where(r => r.Distinct >= 0).Select(r => r.Distinct).Distinct().Count() <= 1;
        Console.WriteLine(ok ? "row counts agree: " + string.Join(", ", counted.Select(r => $"{r.Name} {r.Rows}")) : "MISMATCH in KMS row counts: " + string.Join(", ", counted.Select(r => $"{r.Name} {r.Rows}/{r.Written}")));
        Console.WriteLine(distinct ? "distinct eventIDs agree" : "MISMATCH in distinct eventIDs: " + string.Join(", ", counted.Where(r => r.Distinct >= 0).Select(r => $"{r.Name} {r.Distinct}")));
        return ok && distinct;
    }

    private static long ParseSummaryNumber(string stdout, string label, string unit)
    {
        // e.g. "  records        678,813 read, 214,491 KMS" / "  written        214,491 rows in 3 Parquet files"
        foreach (var line in stdout.Split('\n'))
        {
            var t = line.Trim();
            if (!t.StartsWith(label + " ", StringComparison.Ordinal))
            {
                continue;
            }

            var words = t.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            for (var i = 1; i < words.Length; i++)
            {
                if (words[i].TrimEnd(',') == unit && long.TryParse(words[i - 1].Replace(",", "", StringComparison.Ordinal), NumberStyles.None, Inv, out var n))
                {
                    return n;
                }
            }
        }

        return -1;
    }

    private static long DistinctEventIds(string dataset)
    {
        try
        {
            using var connection = new DuckDBConnection("Data Source=:memory:");
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = $"SELECT count(DISTINCT event_id) FROM read_parquet({MeasureChild.Quote(Path.Combine(dataset, "kms_events", "**", "*.parquet"))})";
            return Convert.ToInt64(command.ExecuteScalar(), Inv);
        }
        catch (DuckDB.NET.Data.DuckDBException ex)
        {
            Console.Error.WriteLine($"cannot count distinct event ids of the ingest output: {ex.Message}");
            return -1;
        }
    }

    private static (string Exe, string[] Prefix) SelfCommand()
    {
        var exe = Environment.ProcessPath ?? "dotnet";
        return Path.GetFileNameWithoutExtension(exe) == "dotnet" ? (exe, [typeof(Program).Assembly.Location]) : (exe, []);
    }

    private static string? FindPipelineDll()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "src", "Pipeline.Cli", "bin", "Release", "net10.0", "pipeline.dll");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    private sealed record Measurement(string Name, int ExitCode, double Wall, double Cpu, long PeakKb, long Bytes, long Rows, long Written, long Distinct, string Stdout)
    {
        /// <summary>CPU seconds the emulator's node process used during an emulator measurement.</summary>
        public double EmulatorCpu { get; init; }

        /// <summary>Emulator measurement: seconds from the first object read to the last, and the share of the bytes read in between.</summary>
        public (double Seconds, double Fraction) Steady { get; init; }

        /// <summary>Emulator measurement: from starting the workers to the end of the first object read (their start-up).</summary>
        public TimeSpan FirstRead { get; init; }
    }
}
