using Microsoft.Extensions.Logging;
using Pipeline.Diagnostics;

namespace Pipeline.Sink;

/// <summary>Log messages of the sink stage (event ids 3000+).</summary>
internal static partial class SinkLog
{
    [LoggerMessage(EventId = EventIds.Sink + 1, Level = LogLevel.Information, Message = "Published {Path}: {Rows} rows, {Bytes} bytes")]
    public static partial void FilePublished(ILogger logger, string path, long rows, long bytes);

    [LoggerMessage(EventId = EventIds.Sink + 2, Level = LogLevel.Warning, Message = "Writing a file for {EventDate} failed; its temporary file was removed")]
    public static partial void WriteFailed(ILogger logger, DateOnly eventDate, Exception exception);

    [LoggerMessage(EventId = EventIds.Sink + 3, Level = LogLevel.Debug, Message = "Source {Source} already ingested ({Rows} rows), skipping")]
    public static partial void AlreadyProcessed(ILogger logger, string source, long rows);

    [LoggerMessage(EventId = EventIds.Sink + 4, Level = LogLevel.Warning, Message = "Ledger marker {Path} is unreadable; treating the source as not ingested")]
    public static partial void LedgerMarkerUnreadable(ILogger logger, string path, Exception exception);

    [LoggerMessage(EventId = EventIds.Sink + 5, Level = LogLevel.Information, Message = "Compacted {Partition}: {FilesBefore} -> {FilesAfter} files, {RowsBefore} -> {RowsAfter} rows")]
    public static partial void PartitionCompacted(ILogger logger, string partition, int filesBefore, int filesAfter, long rowsBefore, long rowsAfter);

    [LoggerMessage(EventId = EventIds.Sink + 6, Level = LogLevel.Warning, Message = "Could not delete compacted input {Path}; the dedupe view hides its rows and the next compaction retries")]
    public static partial void CompactedInputNotDeleted(ILogger logger, string path, Exception exception);
}
