namespace Pipeline.Ingest;

/// <summary>Live counters of an ingestion run; updated from many threads, read by the progress display.</summary>
internal sealed class IngestProgress
{
    private long _filesDone;
    private long _filesFailed;
    private long _filesSkipped;
    private long _records;
    private long _kmsRows;
    private long _bytesIn;
    private long _bytesDecompressed;
    private long _derivedEventIds;

    private int _totalFiles;

    /// <param name="totalFiles">The files to read, or null while the walk is still counting them (<see cref="TotalFiles"/> is set then).</param>
    public IngestProgress(int? totalFiles)
    {
        _totalFiles = totalFiles ?? -1;
    }

    /// <summary>The files the walk counted (a folder still being synced may gain some while it runs); null while it is counting.</summary>
    public int? TotalFiles
    {
        get => Volatile.Read(ref _totalFiles) is var total and >= 0 ? total : null;
        set => Volatile.Write(ref _totalFiles, value ?? -1);
    }

    public long FilesDone => Interlocked.Read(ref _filesDone);

    public long FilesFailed => Interlocked.Read(ref _filesFailed);

    public long FilesSkipped => Interlocked.Read(ref _filesSkipped);

    public long Records => Interlocked.Read(ref _records);

    public long KmsRows => Interlocked.Read(ref _kmsRows);

    /// <summary>Compressed bytes of the files read or failed (not of those skipped as already ingested).</summary>
    public long BytesIn => Interlocked.Read(ref _bytesIn);

    public long BytesDecompressed => Interlocked.Read(ref _bytesDecompressed);

    public void FileRead(long records, long kmsRows, long bytesIn, long bytesDecompressed)
    {
        Interlocked.Increment(ref _filesDone);
        Interlocked.Add(ref _records, records);
        Interlocked.Add(ref _kmsRows, kmsRows);
        Interlocked.Add(ref _bytesIn, bytesIn);
        Interlocked.Add(ref _bytesDecompressed, bytesDecompressed);
    }

    /// <summary>KMS records stored with an id derived from their bytes because they had no <c>eventID</c>.</summary>
    public long DerivedEventIds => Interlocked.Read(ref _derivedEventIds);

    public void EventIdsDerived(long count) => Interlocked.Add(ref _derivedEventIds, count);

    public void FileFailed(long bytesIn)
    {
        Interlocked.Increment(ref _filesDone);
        Interlocked.Increment(ref _filesFailed);
        Interlocked.Add(ref _bytesIn, bytesIn);
    }

    public void FileSkipped()
    {
        Interlocked.Increment(ref _filesDone);
        Interlocked.Increment(ref _filesSkipped);
    }
}
