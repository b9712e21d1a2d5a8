namespace Pipeline.Sink;

/// <summary>A file being written under a temporary name; invisible to readers until <see cref="PublishAsync"/>.</summary>
internal interface IStagedFile : IAsyncDisposable
{
    /// <summary>Write the content here. Publishing flushes and closes it.</summary>
    Stream Stream { get; }

    /// <summary>
    /// Makes the content durable and visible as <paramref name="fileName"/> in the staging directory; fails rather
    /// than replace an existing file. Returns the final relative path.
    /// </summary>
    Task<string> PublishAsync(string fileName, CancellationToken cancellationToken);
}
