using Pipeline.Sink;

namespace Pipeline.Tests.Sink;

/// <summary>
/// Wraps a real store; its staged streams throw (disk full) after a number of bytes, or run a callback on each write;
/// with <paramref name="failLines"/> every ledger write (<see cref="WriteLinesAsync"/>) throws, as a throttling store would.
/// </summary>
internal sealed class FailingDatasetStore(IDatasetStore inner, long failAfterBytes, Action? onWrite = null, bool failLines = false) : IDatasetStore
{
    public string Location => inner.Location;

    public async Task<IStagedFile> CreateStagedFileAsync(string relativeDirectory, CancellationToken cancellationToken) =>
        new Staged(await inner.CreateStagedFileAsync(relativeDirectory, cancellationToken), failAfterBytes, onWrite);

    public Task<IReadOnlyList<DatasetFile>> ListFilesAsync(string relativeDirectory, string suffix, CancellationToken cancellationToken) =>
        inner.ListFilesAsync(relativeDirectory, suffix, cancellationToken);

    public Task<IReadOnlyList<string>> ListDirectoriesAsync(string relativeDirectory, CancellationToken cancellationToken) =>
        inner.ListDirectoriesAsync(relativeDirectory, cancellationToken);

    public Task<bool> ExistsAsync(string relativePath, CancellationToken cancellationToken) => inner.ExistsAsync(relativePath, cancellationToken);

    public Task DeleteAsync(string relativePath, CancellationToken cancellationToken) => inner.DeleteAsync(relativePath, cancellationToken);

    public Task<string?> ReadTextAsync(string relativePath, CancellationToken cancellationToken) => inner.ReadTextAsync(relativePath, cancellationToken);

    public Task WriteTextAsync(string relativePath, string content, CancellationToken cancellationToken, bool durable = true) =>
        inner.WriteTextAsync(relativePath, content, cancellationToken, durable);

    public Task WriteLinesAsync(IReadOnlyList<(string RelativePath, string Line)> entries, CancellationToken cancellationToken) =>
        failLines ? Task.FromException(new IOException("Please reduce your request rate.")) : inner.WriteLinesAsync(entries, cancellationToken);

    public int CleanupStaleTempFiles(TimeSpan olderThan) => inner.CleanupStaleTempFiles(olderThan);

    public Task ProbeWritableAsync(string relativeDirectory, CancellationToken cancellationToken) => inner.ProbeWritableAsync(relativeDirectory, cancellationToken);

    private sealed class Staged(IStagedFile inner, long failAfterBytes, Action? onWrite) : IStagedFile
    {
        private readonly FailingStream _stream = new(inner.Stream, failAfterBytes, onWrite);

        public Stream Stream => _stream;

        public Task<string> PublishAsync(string fileName, CancellationToken cancellationToken) => inner.PublishAsync(fileName, cancellationToken);

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
