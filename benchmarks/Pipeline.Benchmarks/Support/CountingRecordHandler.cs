using Pipeline.Parsing;

namespace Pipeline.Benchmarks.Support;

/// <summary>A record handler that only counts records and bytes: isolates the reader's structural pre-scan.</summary>
internal sealed class CountingRecordHandler : IRecordHandler
{
    public long Records { get; private set; }

    public long Bytes { get; private set; }

    public void OnRecord(ReadOnlySpan<byte> record, long recordIndex, long byteOffset, bool hasBackslash)
    {
        Records++;
        Bytes += record.Length;
    }

    public ValueTask OnBufferProcessedAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;
}

/// <summary>Keeps a copy of every record whose eventSource may be KMS (the same byte test as the collector).</summary>
internal sealed class KmsCandidateCopier : IRecordHandler
{
    public List<byte[]> Records { get; } = [];

    public void OnRecord(ReadOnlySpan<byte> record, long recordIndex, long byteOffset, bool hasBackslash)
    {
        if (hasBackslash || record.IndexOf("kms.amazonaws.com"u8) >= 0)
        {
            Records.Add(record.ToArray());
        }
    }

    public ValueTask OnBufferProcessedAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;
}
