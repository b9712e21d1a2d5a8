using Pipeline.Parsing;

namespace Pipeline.Benchmarks.Support;

/// <summary>The KMS records of the benchmark archive, each as its own byte array.</summary>
internal static class KmsRecords
{
    public static List<byte[]> Load()
    {
        var copier = new KmsCandidateCopier();
        foreach (var file in BenchArchive.LoadCompressed())
        {
            var reader = new CloudTrailRecordReader("bench", copier);
            reader.ReadAsync(new MemoryStream(BenchArchive.Decompress(file)), CancellationToken.None).AsTask().GetAwaiter().GetResult();
        }

        // Keep only real KMS records: the byte test lets through records that merely mention the service.
        var parser = new KmsRecordParser();
        var fields = default(KmsRecordFields);
        return copier.Records.Where(r =>
        {
            parser.Parse(r, ref fields, ReaderOptions.Default.MaxDepth);
            return parser.Get(r, fields.EventSource).SequenceEqual("kms.amazonaws.com"u8);
        }).ToList();
    }
}
