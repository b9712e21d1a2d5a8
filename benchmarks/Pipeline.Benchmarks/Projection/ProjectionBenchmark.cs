using BenchmarkDotNet.Attributes;
using Pipeline.Benchmarks.Support;
using Pipeline.Parsing;
using Pipeline.Sink;

namespace Pipeline.Benchmarks.Projection;

/// <summary>Parse + project of KMS records that are already split out (no gzip, no pre-scan, no byte filter).</summary>
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
            _projector.Project(record, _parser, ref _fields, batch, Source, i, 0);
        }

        return batch.Count;
    }
}
