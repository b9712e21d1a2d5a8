namespace Pipeline.Sink;

/// <summary>Outcome of compacting one partition; <see cref="Skipped"/> when there was nothing to merge.</summary>
internal sealed record PartitionCompaction(DateOnly EventDate, int FilesBefore, int FilesAfter, long RowsBefore, long RowsAfter, bool Skipped)
{
    public long DuplicatesRemoved => RowsBefore - RowsAfter;
}
