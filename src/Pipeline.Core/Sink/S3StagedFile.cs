namespace Pipeline.Sink;

/// <summary>A local temporary file that becomes an S3 object when published (one PutObject: atomic in S3).</summary>
internal sealed class S3StagedFile(S3DatasetStore store, string relativeDirectory, FileStream stream) : IStagedFile
{
    private bool _done;

    public Stream Stream => stream;

    public async Task<string> PublishAsync(string fileName, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_done, this);
        if (fileName.Length == 0 || fileName.Contains('/', StringComparison.Ordinal) || fileName.StartsWith(DatasetLayout.TempPrefix, StringComparison.Ordinal))
        {
            throw new ArgumentException($"'{fileName}' is not a valid final file name.", nameof(fileName));
        }

        await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
        var path = await store.UploadAsync(relativeDirectory, fileName, stream, cancellationToken).ConfigureAwait(false);
        _done = true;
        await stream.DisposeAsync().ConfigureAwait(false);
        return path;
    }

    public async ValueTask DisposeAsync()
    {
        _done = true;
        await stream.DisposeAsync().ConfigureAwait(false); // DeleteOnClose removes the temporary data
    }
}
