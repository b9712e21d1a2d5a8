namespace Pipeline.Parsing;

/// <summary>Limits that protect the reader from hostile or broken objects.</summary>
internal sealed class ReaderOptions
{
    /// <summary>Largest decompressed size accepted for one object (gzip-bomb guard). Default 8 GiB.</summary>
    public long MaxDecompressedBytes { get; set; } = 8L * 1024 * 1024 * 1024;

    /// <summary>Largest single record accepted; a record must fit in memory to be projected. Default 64 MiB.</summary>
    public int MaxRecordBytes { get; set; } = 64 * 1024 * 1024;

    /// <summary>Initial size of the pooled read buffer. Default 1 MiB.</summary>
    public int BufferBytes { get; set; } = 1024 * 1024;

    /// <summary>Deepest JSON nesting accepted inside a KMS record (nesting-attack guard). Default 64.</summary>
    public int MaxDepth { get; set; } = 64;

    public static ReaderOptions Default { get; } = new();
}
