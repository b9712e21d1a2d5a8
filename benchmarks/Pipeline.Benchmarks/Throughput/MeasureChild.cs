using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using DuckDB.NET.Data;
using Pipeline.Benchmarks.Support;
using Pipeline.Ingest;
using Pipeline.Parsing;
using Pipeline.Sink;

namespace Pipeline.Benchmarks.Throughput;

/// <summary>
/// Hidden sub-command run by <see cref="ThroughputCommand"/> in a fresh process, so that CPU time and peak RSS belong
/// to one measurement: <c>__measure gzip|gzip-decoder|tokenizer|read|duckdb &lt;input&gt; &lt;workdir&gt;</c>. Prints one
/// <c>RESULT key=value ...</c> line.
/// </summary>
internal static class MeasureChild
{
    public const string Name = "__measure";

    public static int Run(string[] args)
    {
        if (args.Length < 3)
        {
            Console.Error.WriteLine($"usage: {Name} gzip|gzip-decoder|tokenizer|read|duckdb|duckdb-all-files <input> <workdir>");
            return 2;
        }

        var files = LocalArchiveWalker.Walk([args[1]]).NamedLogFiles.OrderByDescending(f => f.Length).Select(f => f.Path).ToArray();
        var clock = Stopwatch.StartNew();
        var result = args[0] switch
        {
            "gzip" => Gzip(files, path => new GZipStream(OpenSequential(path), CompressionMode.Decompress)),
            "gzip-decoder" => Gzip(files, path => GzipDecoder.Open(OpenSequential(path))),
            "tokenizer" => Tokenize(files),
            "read" => ReadStage(files),
            "duckdb" => DuckDb(files, args[2], sampleAllFiles: false),
            "duckdb-all-files" => DuckDb(files, args[2], sampleAllFiles: true),
            _ => throw new ArgumentException($"unknown measurement '{args[0]}'"),
        };
        var wall = clock.Elapsed.TotalSeconds;
        var cpu = Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"RESULT wall={wall:F3} cpu={cpu:F3} hwm_kb={PeakRssKb()} bytes={result.Bytes} records={result.Records} rows={result.Rows} distinct={result.Distinct}"));
        return 0;
    }

    /// <summary>VmHWM (peak resident set) of this process, in KiB; -1 when /proc is not there.</summary>
    public static long PeakRssKb()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
            {
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                {
                    return long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture);
                }
            }
        }
        catch (IOException)
        {
        }

        return -1;
    }

    /// <summary>Decompresses every file to a discarded buffer through <paramref name="open"/>'s stream.</summary>
    private static ChildResult Gzip(string[] files, Func<string, Stream> open)
    {
        long bytes = 0;
        Parallel.ForEach(
            files,
            new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount },
            () => new byte[1 << 20],
            (path, _, buffer) =>
            {
                using var gz = open(path);
                long n = 0;
                int got;
                while ((got = gz.Read(buffer, 0, buffer.Length)) > 0)
                {
                    n += got;
                }

                Interlocked.Add(ref bytes, n);
                return buffer;
            },
            _ => { });
        return new ChildResult(bytes, -1, -1, -1);
    }

    private static ChildResult Tokenize(string[] files)
    {
        var total = default(TokenCount);
        var gate = new Lock();
        Parallel.ForEach(
            files,
            new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount },
            () => (Tokenizer: new PlainTokenizer(), Count: default(TokenCount)),
            (path, _, local) =>
            {
                using var gz = new GZipStream(OpenSequential(path), CompressionMode.Decompress);
                return (local.Tokenizer, local.Count + local.Tokenizer.Count(gz));
            },
            local =>
            {
                lock (gate)
                {
                    total += local.Count;
                }
            });
        return new ChildResult(total.Bytes, total.Records, total.KmsRecords, -1);
    }

    /// <summary>
    /// Ingest's read stage alone, per file as ingest runs it (gzip, pre-scan, the KMS text filter, the KMS records'
    /// parse and projection into a batch) and nothing written: what ingest costs before its Parquet output.
    /// </summary>
    private static ChildResult ReadStage(string[] files)
    {
        long bytes = 0, records = 0, kms = 0;
        var ingestTime = DateTime.UtcNow;
        Parallel.ForEach(
            files,
            new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount },
            path =>
            {
                var source = SourceContext.ForFile(path, ingestTime);
                var collector = new KmsRecordCollector(source);
                using var stream = OpenSequential(path);
                var read = CloudTrailObjectReader.ReadAsync(stream, collector, source, null, CancellationToken.None).AsTask().GetAwaiter().GetResult();
                KmsEventBatchPool.Return(collector.Batch);
                Interlocked.Add(ref bytes, read.DecompressedBytes);
                Interlocked.Add(ref records, read.Records);
                Interlocked.Add(ref kms, read.KmsRecords);
            });
        return new ChildResult(bytes, records, kms, -1);
    }

    private static ChildResult DuckDb(string[] files, string workDir, bool sampleAllFiles)
    {
        Directory.CreateDirectory(workDir);
        var output = Path.Combine(workDir, "duck.parquet");
        var list = string.Join(", ", files.Select(Quote));
        using var connection = new DuckDBConnection("Data Source=:memory:");
        connection.Open();
        using (var command = connection.CreateCommand())
        {
            // The analyst's one-liner: every record of every file, keep eventSource = KMS, write Parquet. DuckDB infers the
            // schema from the first 32 files; when a later file holds a value of another type (a multi-Region key's
            // "mrk-..." id where the sample held only UUIDs), the query fails, and the fix its message suggests is to
            // sample every file, which reads them all twice.
            var sampling = sampleAllFiles ? ", sample_size = -1, maximum_sample_files = -1" : string.Empty;
            command.CommandText =
                $"COPY (SELECT r.* FROM (SELECT unnest(Records) AS r FROM read_json([{list}], format = 'auto', maximum_object_size = 2147483647{sampling})) " +
                $"WHERE r.eventSource = 'kms.amazonaws.com') TO {Quote(output)} (FORMAT parquet)";
            command.ExecuteNonQuery();
        }

        using (var count = connection.CreateCommand())
        {
            count.CommandText = $"SELECT count(*), count(DISTINCT eventID) FROM read_parquet({Quote(output)})";
            using var reader = count.ExecuteReader();
            reader.Read();
            return new ChildResult(-1, -1, reader.GetInt64(0), reader.GetInt64(1));
        }
    }

    internal static string Quote(string text) => "'" + text.Replace("'", "''", StringComparison.Ordinal) + "'";

    private static FileStream OpenSequential(string path) =>
        new(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16, FileOptions.SequentialScan);

    private readonly record struct ChildResult(long Bytes, long Records, long Rows, long Distinct);
}
