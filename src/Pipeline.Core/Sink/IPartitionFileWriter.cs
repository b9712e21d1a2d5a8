namespace Pipeline.Sink;

/// <summary>A Parquet file written under a temporary name, not yet visible to readers.</summary>
internal interface IStagedPartitionFile
{
    /// <summary>Dataset-relative path the file will have once published.</summary>
    string FinalPath { get; }

    long Rows { get; }

    /// <summary>Size of the file in bytes.</summary>
    long Bytes { get; }

    /// <summary>Makes the file visible under its final name (atomic rename).</summary>
    Task PublishAsync(CancellationToken cancellationToken);

    /// <summary>Deletes the temporary file; never throws.</summary>
    Task DiscardAsync();
}

/// <summary>Writes the rows of one partition day as one sorted Parquet file.</summary>
internal interface IPartitionFileWriter
{
    Task<IStagedPartitionFile> WriteStagedAsync(int dayNumber, IReadOnlyList<RowRef> rows, CancellationToken cancellationToken);
}
