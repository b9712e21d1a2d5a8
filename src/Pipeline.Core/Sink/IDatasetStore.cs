namespace Pipeline.Sink;

/// <summary>
/// Storage of a dataset root addressed by relative '/'-separated paths. Kept small so that an object-store
/// implementation only has to provide "stage, then publish under a final name" and a few file operations.
/// </summary>
internal interface IDatasetStore
{
    /// <summary>Where the dataset lives, for messages (a directory path or an URI).</summary>
    string Location { get; }

    /// <summary>
    /// Starts a file in <paramref name="relativeDirectory"/> under a temporary name that no reader matches.
    /// Disposing the result without publishing it deletes the temporary data.
    /// </summary>
    Task<IStagedFile> CreateStagedFileAsync(string relativeDirectory, CancellationToken cancellationToken);

    /// <summary>Files of <paramref name="relativeDirectory"/> whose name ends in <paramref name="suffix"/>, temporary files excluded.</summary>
    Task<IReadOnlyList<DatasetFile>> ListFilesAsync(string relativeDirectory, string suffix, CancellationToken cancellationToken);

    /// <summary>Names of the direct sub-directories of <paramref name="relativeDirectory"/>; empty when it does not exist.</summary>
    Task<IReadOnlyList<string>> ListDirectoriesAsync(string relativeDirectory, CancellationToken cancellationToken);

    Task<bool> ExistsAsync(string relativePath, CancellationToken cancellationToken);

    /// <summary>Deletes a file; no error when it is already gone.</summary>
    Task DeleteAsync(string relativePath, CancellationToken cancellationToken);

    /// <summary>Reads a small UTF-8 text file; null when it does not exist.</summary>
    Task<string?> ReadTextAsync(string relativePath, CancellationToken cancellationToken);

    /// <summary>
    /// Writes a small UTF-8 text file so that readers see either the old content or the whole new one. With
    /// <paramref name="durable"/> false the data is not forced to disk (cheaper; for hints such as ledger markers that
    /// may be lost in a power failure without harm).
    /// </summary>
    Task WriteTextAsync(string relativePath, string content, CancellationToken cancellationToken, bool durable = true);

    /// <summary>
    /// Records many one-line hints at once (ledger markers), not forced to disk: afterwards each path holds a text of
    /// JSON lines that includes its own line (a store may let the paths of one call share one text), or, after a crash,
    /// nothing. Readers must pick their line out of the text.
    /// </summary>
    Task WriteLinesAsync(IReadOnlyList<(string RelativePath, string Line)> entries, CancellationToken cancellationToken);

    /// <summary>
    /// Writes something where the rows of <paramref name="relativeDirectory"/> would go and removes it (or leaves one
    /// small fixed object where nothing may be deleted): throws what writing rows would throw now. For a worker whose
    /// output failed, to wait for the output without taking messages off the queue meanwhile.
    /// </summary>
    Task ProbeWritableAsync(string relativeDirectory, CancellationToken cancellationToken);

    /// <summary>Removes temporary files and directories older than <paramref name="olderThan"/> left by crashed writers; returns how many.</summary>
    int CleanupStaleTempFiles(TimeSpan olderThan);
}
