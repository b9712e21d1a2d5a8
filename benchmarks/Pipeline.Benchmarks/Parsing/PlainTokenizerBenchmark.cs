using System.IO.Compression;
using BenchmarkDotNet.Attributes;
using Pipeline.Benchmarks.Support;

namespace Pipeline.Benchmarks.Parsing;

/// <summary>The baseline: GZipStream + Utf8JsonReader over every token of every record, counting KMS records.</summary>
[MemoryDiagnoser]
public class PlainTokenizerBenchmark
{
    private byte[][] _files = [];
    private readonly PlainTokenizer _tokenizer = new();

    [GlobalSetup]
    public void Setup() => _files = BenchArchive.LoadCompressed();

    [Benchmark]
    public long TokenizeEveryRecord()
    {
        long kms = 0;
        foreach (var file in _files)
        {
            using var gz = new GZipStream(new MemoryStream(file, writable: false), CompressionMode.Decompress);
            kms += _tokenizer.Count(gz).KmsRecords;
        }

        return kms;
    }
}
