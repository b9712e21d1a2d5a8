using BenchmarkDotNet.Attributes;
using Pipeline.Benchmarks.Support;
using Pipeline.Parsing;
using Pipeline.Sink;

namespace Pipeline.Benchmarks.Sink;

/// <summary>
/// <see cref="ParquetPartitionWriter.WritePartitionAsync"/> of 50,000 rows of one event day (sort, encode, Zstd,
/// stage, publish) into a temp folder; the published file is deleted in the same operation so the disk stays clean.
/// </summary>
[MemoryDiagnoser]
public class ParquetWriteBenchmark
{
    public const int Rows = 50_000;
    private static readonly SourceContext Source = SourceContext.ForFile("bench", new DateTime(2026, 1, 15, 0, 0, 0, DateTimeKind.Utc));
    private string _root = "";
    private LocalDatasetStore? _store;
    private ParquetPartitionWriter? _writer;
    private RowRef[] _rows = [];
    private int _day;

    [GlobalSetup]
    public void Setup()
    {
        var records = KmsRecords.Load();
        var parser = new KmsRecordParser();
        var projector = new KmsRowProjector();
        var fields = default(KmsRecordFields);
        var batch = new KmsEventBatch();

        // One pass to find the busiest event day, then project the records over and over until it has enough rows.
        foreach (var r in records)
        {
            parser.Parse(r, ref fields, ReaderOptions.Default.MaxDepth);
            projector.Project(r, parser, ref fields, batch, Source, 0, 0);
        }

        _day = Enumerable.Range(0, batch.Count).GroupBy(batch.GetEventDay).OrderByDescending(g => g.Count()).First().Key;
        var rows = new List<RowRef>(Rows);
        for (long index = 0; rows.Count < Rows; index++)
        {
            var r = records[(int)(index % records.Count)];
            parser.Parse(r, ref fields, ReaderOptions.Default.MaxDepth);
            projector.Project(r, parser, ref fields, batch, Source, index, 0);
            if (batch.GetEventDay(batch.Count - 1) == _day)
            {
                rows.Add(new RowRef(batch, batch.Count - 1));
            }
        }

        _rows = rows.ToArray();
        _root = Path.Combine(Path.GetTempPath(), "pipeline-bench-sink-" + Environment.ProcessId);
        Directory.CreateDirectory(_root);
        _store = new LocalDatasetStore(_root);
        _writer = new ParquetPartitionWriter(_store, new ParquetPartitionWriterOptions());
    }

    [Benchmark]
    public async Task<long> WritePartition()
    {
        var published = await _writer!.WritePartitionAsync(_day, _rows, CancellationToken.None).ConfigureAwait(false);
        File.Delete(_store!.GetFullPath(published.RelativePath));
        return published.Bytes;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }
}
