using BenchmarkDotNet.Attributes;
using Pipeline.Benchmarks.Support;
using Pipeline.Parsing;

namespace Pipeline.Benchmarks.Parsing;

/// <summary>
/// The structural pre-scan alone: already-decompressed bytes through <see cref="CloudTrailRecordReader"/> with a
/// handler that only counts records (no gzip, no parse, no projection).
/// </summary>
[MemoryDiagnoser]
public class PreScanBenchmark
{
    private byte[][] _json = [];

    [GlobalSetup]
    public void Setup() => _json = BenchArchive.LoadCompressed().Select(BenchArchive.Decompress).ToArray();

    [Benchmark]
    public async Task<long> SplitRecords()
    {
        var handler = new CountingRecordHandler();
        foreach (var json in _json)
        {
            var reader = new CloudTrailRecordReader("bench", handler);
            await reader.ReadAsync(new MemoryStream(json, writable: false), CancellationToken.None).ConfigureAwait(false);
        }

        return handler.Records;
    }
}
