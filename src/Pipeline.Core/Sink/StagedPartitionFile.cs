using Microsoft.Extensions.Logging;

namespace Pipeline.Sink;

/// <summary>A complete Parquet file of one partition, written under a temporary name by <see cref="ParquetPartitionWriter"/>.</summary>
internal sealed class StagedPartitionFile(IStagedFile staged, string directory, string fileName, long rows, long bytes, ILogger logger) : IStagedPartitionFile
{
    public string FinalPath { get; } = directory.TrimEnd('/') + "/" + fileName;

    public long Rows { get; } = rows;

    public long Bytes { get; } = bytes;

    public async Task PublishAsync(CancellationToken cancellationToken)
    {
        var path = await staged.PublishAsync(fileName, cancellationToken).ConfigureAwait(false);
        SinkLog.FilePublished(logger, path, Rows, Bytes);
    }

    public async Task DiscardAsync()
    {
        try
        {
            await staged.DisposeAsync().ConfigureAwait(false);
        }
        catch (IOException)
        {
            // A temp file that cannot be deleted is invisible to readers and removed by CleanupStaleTempFiles.
        }
    }
}
