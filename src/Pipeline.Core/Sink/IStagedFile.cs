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

/// <summary>Helpers over <see cref="IStagedFile"/>.</summary>
internal static class StagedFiles
{
    /// <summary>Stages a few bytes in <paramref name="relativeDirectory"/> and discards them: throws what staging rows would throw now.</summary>
    public static async Task ProbeAsync(IDatasetStore store, string relativeDirectory, CancellationToken cancellationToken)
    {
        var staged = await store.CreateStagedFileAsync(relativeDirectory, cancellationToken).ConfigureAwait(false);
        await using (staged.ConfigureAwait(false))
        {
            await staged.Stream.WriteAsync("probe"u8.ToArray(), cancellationToken).ConfigureAwait(false);
            await staged.Stream.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}
