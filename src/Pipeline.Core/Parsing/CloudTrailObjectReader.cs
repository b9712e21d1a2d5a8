namespace Pipeline.Parsing;

/// <summary>What reading one CloudTrail object produced.</summary>
internal readonly record struct ObjectReadResult(long Records, long KmsRecords, long CompressedBytes, long DecompressedBytes);

/// <summary>Reads one CloudTrail object (gzip or plain JSON) into KMS rows: the parsing stage's entry point.</summary>
internal static class CloudTrailObjectReader
{
    public static async ValueTask<ObjectReadResult> ReadAsync(Stream body, KmsRecordCollector collector, SourceContext source, ReaderOptions? options, CancellationToken cancellationToken)
    {
        await using var counting = new CountingStream(body, leaveOpen: true);
        await using var json = await PayloadDecoder.OpenAsync(counting, source.Display, cancellationToken).ConfigureAwait(false);
        var reader = new CloudTrailRecordReader(source.Display, collector, options);
        var summary = await reader.ReadAsync(json, cancellationToken).ConfigureAwait(false);
        return new ObjectReadResult(summary.Records, collector.KmsRecords, counting.BytesRead, summary.DecompressedBytes);
    }
}
