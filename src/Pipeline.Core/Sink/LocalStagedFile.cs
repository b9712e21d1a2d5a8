namespace Pipeline.Sink;

/// <summary>A temporary file inside the target directory of a <see cref="LocalDatasetStore"/>; same directory so the final rename is atomic.</summary>
internal sealed class LocalStagedFile : IStagedFile
{
    private readonly LocalDatasetStore _store;
    private readonly string _relativeDirectory;
    private readonly string _tempPath;
    private readonly FileStream _stream;
    private bool _published;

    public LocalStagedFile(LocalDatasetStore store, string relativeDirectory, string tempPath, FileStream stream)
    {
        _store = store;
        _relativeDirectory = relativeDirectory.TrimEnd('/');
        _tempPath = tempPath;
        _stream = stream;
    }

    public Stream Stream => _stream;

    public string TempPath => _tempPath;

    /// <summary>Flushes the file to disk and renames it to <paramref name="fileName"/>, never over an existing file.</summary>
    public async Task<string> PublishAsync(string fileName, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_published, this);
        if (fileName.Length == 0 || fileName.Contains('/', StringComparison.Ordinal) || fileName.Contains('\\', StringComparison.Ordinal)
            || LocalDatasetStore.IsTemp(fileName))
        {
            throw new ArgumentException($"'{fileName}' is not a valid final file name.", nameof(fileName));
        }

        cancellationToken.ThrowIfCancellationRequested();
        await _stream.FlushAsync(cancellationToken).ConfigureAwait(false);
        _stream.Flush(flushToDisk: true);

        await _stream.DisposeAsync().ConfigureAwait(false);

        var relativePath = _relativeDirectory.Length == 0 ? fileName : _relativeDirectory + "/" + fileName;
        var finalPath = _store.GetFullPath(relativePath);

        // Without overwrite, .NET renames via link+unlink on Unix: it fails if a file of that name exists,
        // so a publish can never replace data written by someone else.
        File.Move(_tempPath, finalPath, overwrite: false);
        _published = true;
        DirectorySync.TryFlush(Path.GetDirectoryName(finalPath)!);
        return relativePath;
    }

    public async ValueTask DisposeAsync()
    {
        if (_published)
        {
            return;
        }

        _published = true;
        await _stream.DisposeAsync().ConfigureAwait(false);
        try
        {
            File.Delete(_tempPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Left for CleanupStaleTempFiles; its name keeps it invisible to readers.
        }
    }
}
