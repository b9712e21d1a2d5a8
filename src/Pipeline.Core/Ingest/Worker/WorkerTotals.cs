namespace Pipeline.Ingest.Worker;

/// <summary>Counts of what one worker process did since it started (its shutdown summary).</summary>
internal readonly record struct WorkerTotals(
    long MessagesReceived,
    long MessagesDeleted,
    long MessagesReturned,
    long VisibilityExtensions,
    long ObjectsRead,
    long BytesRead,
    long KmsRows,
    long ObjectsSkipped = 0);
