using Pipeline.Sink;

namespace Pipeline.Tests.Support;

/// <summary>A fresh dataset directory per test, removed afterwards.</summary>
internal sealed class TempDataset : IDisposable
{
    public TempDataset()
    {
        Root = Path.Combine(Path.GetTempPath(), "pipeline-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Root);
        Store = new LocalDatasetStore(Root);
    }

    public string Root { get; }

    public LocalDatasetStore Store { get; }

    public ParquetPartitionWriter Writer(string writerId = "t1", int rowGroupSize = ParquetPartitionWriterOptions.DefaultRowGroupSize) =>
        new(Store, new ParquetPartitionWriterOptions { WriterId = writerId, RowGroupSize = rowGroupSize });

    public async Task<IReadOnlyList<PublishedFile>> WriteAsync(params TestEvent[] events) =>
        await Writer().WriteBatchAsync(TestBatch.Of(events), CancellationToken.None);

    public string[] ParquetFiles() =>
        Directory.Exists(Root)
            ? Directory.GetFiles(Root, "*.parquet", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(Root, f).Replace('\\', '/')).Order(StringComparer.Ordinal).ToArray()
            : [];

    public string[] AllFiles() =>
        Directory.GetFileSystemEntries(Root, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(Root, f).Replace('\\', '/')).ToArray();

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
