using System.Text.Unicode;
using BenchmarkDotNet.Attributes;
using Pipeline.Benchmarks.Support;
using Pipeline.Parsing;
using Pipeline.Sink;

namespace Pipeline.Benchmarks.Projection;

/// <summary>Parse (+ project) of KMS records that are already split out (no gzip, no pre-scan, no byte filter).</summary>
[MemoryDiagnoser]
public class ProjectionBenchmark
{
    private static readonly SourceContext Source = SourceContext.ForFile("bench", new DateTime(2026, 1, 15, 0, 0, 0, DateTimeKind.Utc));
    private readonly KmsRecordParser _parser = new();
    private readonly KmsRowProjector _projector = new();
    private byte[][] _records = [];
    private KmsRecordFields _fields;

    [GlobalSetup]
    public void Setup() => _records = KmsRecords.Load().ToArray();

    [Benchmark]
    public int ParseAndProject()
    {
        var batch = new KmsEventBatch();
        for (var i = 0; i < _records.Length; i++)
        {
            var record = _records[i];
            _parser.Parse(record, ref _fields, ReaderOptions.Default.MaxDepth);
            _projector.Project(record, _parser, ref _fields, batch, Source, i, 0, Utf8.IsValid(record)); // as ingest checks it
        }

        return batch.Count;
    }

    /// <summary>The parse alone, as ingest runs it: the hand-written scanner, the reader for what it declines.</summary>
    [Benchmark]
    public int Parse()
    {
        var n = 0;
        foreach (var record in _records)
        {
            _parser.Parse(record, ref _fields, ReaderOptions.Default.MaxDepth);
            n += _fields.EventName.Length;
        }

        return n;
    }

    /// <summary>The parse alone through <c>Utf8JsonReader</c> for every record (the path before the scanner).</summary>
    [Benchmark]
    public int ParseWithReader()
    {
        var n = 0;
        foreach (var record in _records)
        {
            _parser.ParseWithReader(record, ref _fields, ReaderOptions.Default.MaxDepth);
            n += _fields.EventName.Length;
        }

        return n;
    }
}
