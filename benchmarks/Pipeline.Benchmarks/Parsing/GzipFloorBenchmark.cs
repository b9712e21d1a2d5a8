using System.IO.Compression;
using BenchmarkDotNet.Attributes;
using Pipeline.Benchmarks.Support;
using Pipeline.Parsing;

namespace Pipeline.Benchmarks.Parsing;

/// <summary>
/// The floor of every reader: decompress all log files of the archive into a discarded buffer, through
/// <c>GZipStream</c> (the plain tokenizer's floor) and through <see cref="GzipDecoder"/> (ingest's).
/// </summary>
[MemoryDiagnoser]
public class GzipFloorBenchmark
{
    private byte[][] _files = [];
    private readonly byte[] _sink = new byte[1 << 20];

    [GlobalSetup]
    public void Setup() => _files = BenchArchive.LoadCompressed();

    [Benchmark(Baseline = true)]
    public long Decompress() => DecompressAll(file => new GZipStream(new MemoryStream(file, writable: false), CompressionMode.Decompress));

    [Benchmark]
    public long DecompressWithIngestDecoder() => DecompressAll(file => GzipDecoder.Open(new MemoryStream(file, writable: false)));

    private long DecompressAll(Func<byte[], Stream> open)
    {
        long total = 0;
        foreach (var file in _files)
        {
            using var gz = open(file);
            int n;
            while ((n = gz.Read(_sink, 0, _sink.Length)) > 0)
            {
                total += n;
            }
        }

        return total;
    }
}
