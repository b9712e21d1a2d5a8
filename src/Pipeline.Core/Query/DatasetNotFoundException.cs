namespace Pipeline.Query;

/// <summary>The dataset directory given to a query or compaction does not exist, or holds no dataset.</summary>
internal sealed class DatasetNotFoundException : Exception
{
    public DatasetNotFoundException(string path)
        : base($"Dataset directory '{path}' does not exist.")
    {
        Path = path;
    }

    public DatasetNotFoundException(string path, string message)
        : base(message)
    {
        Path = path;
    }

    public DatasetNotFoundException()
    {
        Path = string.Empty;
    }

    public DatasetNotFoundException(string message, Exception innerException)
        : base(message, innerException)
    {
        Path = string.Empty;
    }

    public string Path { get; }
}
