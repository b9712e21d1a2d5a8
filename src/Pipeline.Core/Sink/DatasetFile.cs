namespace Pipeline.Sink;

/// <summary>A published file of the dataset: relative path, size and last write time (UTC).</summary>
internal sealed record DatasetFile(string RelativePath, long Length, DateTime LastWriteUtc)
{
    public string Name => RelativePath[(RelativePath.LastIndexOf('/') + 1)..];
}
