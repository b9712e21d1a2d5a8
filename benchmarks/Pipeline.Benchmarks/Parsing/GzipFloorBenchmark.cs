using System.IO.Compression;
using BenchmarkDotNet.Attributes;
using Pipeline.Benchmarks.Support;

namespace Pipeline.Benchmarks.Parsing;

/// <summary>The floor of every reader: decompress all log files of the archive into a discarded buffer.</summary>
[MemoryDiagnoser]
public class GzipFloorBenchmark
{
    private byte[][] _files = [];
    private readonly byte[] _sink = new byte[1 << 20];

    [GlobalSetup]
    public void Setup() => _files = BenchArchive.LoadCompressed();

    [Benchmark]
    public long Decompress()
    {
        long total = 0;
        foreach (var file in _files)
        {
            using var gz = new GZipStream(new MemoryStream(file, writable: false), CompressionMode.Decompress);
            int n;
            while ((n = gz.Read(_sink, 0, _sink.Length)) > 0)
            {
                total += n;
            }
        }

        return total;
    }
}
