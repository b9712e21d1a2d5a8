using BenchmarkDotNet.Attributes;
using Pipeline.Benchmarks.Support;
using Pipeline.Parsing;

namespace Pipeline.Benchmarks.Parsing;

/// <summary>The whole read stage as ingest runs it per file: gzip sniffing + pre-scan + KMS parse and projection.</summary>
[MemoryDiagnoser]
public class FullReadBenchmark
{
    private static readonly DateTime IngestTime = new(2026, 1, 15, 0, 0, 0, DateTimeKind.Utc);
    private byte[][] _files = [];

    [GlobalSetup]
    public void Setup() => _files = BenchArchive.LoadCompressed();

    [Benchmark]
    public async Task<long> ReadAndProject()
    {
        long kms = 0;
        for (var i = 0; i < _files.Length; i++)
        {
            var source = SourceContext.ForFile("bench/" + i, IngestTime);
            var collector = new KmsRecordCollector(source);
            await CloudTrailObjectReader.ReadAsync(new MemoryStream(_files[i], writable: false), collector, source, null, CancellationToken.None).ConfigureAwait(false);
            kms += collector.Batch.Count; // no spilling here: every KMS row stays in the batch
        }

        return kms;
    }
}
