namespace Pipeline.Ingest;

/// <summary>The outcome of an ingestion run, printed at the end and used for the exit code.</summary>
internal sealed record IngestSummary(
    int Files,
    int FilesSkippedAlreadyIngested,
    int DigestFilesSkipped,
    int InsightFilesSkipped,
    int OtherFilesSkipped,
    long Records,
    long KmsRows,
    long RowsWritten,
    long ParquetFiles,
    long BytesIn,
    long BytesDecompressed,
    long BytesOut,
    TimeSpan Elapsed,
    TimeSpan CpuTime,
    IReadOnlyList<IngestError> Errors,
    long DerivedEventIds = 0)
{
    /// <summary>Archives and files compressed other than with gzip that the folders held (those named on the command line are errors instead).</summary>
    public int PackedFilesSkipped { get; init; }

    /// <summary>The first few of <see cref="PackedFilesSkipped"/>.</summary>
    public IReadOnlyList<string> PackedExamples { get; init; } = [];

    public double DecompressedMbPerSecond => Elapsed.TotalSeconds <= 0 ? 0 : BytesDecompressed / 1e6 / Elapsed.TotalSeconds;

    public double DecompressedMbPerCpuSecond => CpuTime.TotalSeconds <= 0 ? 0 : BytesDecompressed / 1e6 / CpuTime.TotalSeconds;
}
