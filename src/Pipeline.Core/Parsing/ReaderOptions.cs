using System.ComponentModel.DataAnnotations;

namespace Pipeline.Parsing;

/// <summary>Limits that protect the reader from hostile or broken objects (configuration section <c>Reader</c>).</summary>
internal sealed class ReaderOptions
{
    public const string Section = "Reader";

    /// <summary>Largest decompressed size accepted for one object (gzip-bomb guard). Default 8 GiB.</summary>
    [Range(typeof(long), "1048576", "9223372036854775807")] // as text: a long bound given as a number is a double, printed 9.2E+18
    public long MaxDecompressedBytes { get; set; } = 8L * 1024 * 1024 * 1024;

    /// <summary>Largest single record accepted; a record must fit in memory to be projected. Default 64 MiB.</summary>
    [Range(64 * 1024, 1024 * 1024 * 1024)]
    public int MaxRecordBytes { get; set; } = 64 * 1024 * 1024;

    /// <summary>Initial size of the pooled read buffer. Default 1 MiB.</summary>
    [Range(4 * 1024, 256 * 1024 * 1024)]
    public int BufferBytes { get; set; } = 1024 * 1024;

    /// <summary>Deepest JSON nesting accepted inside a KMS record (nesting-attack guard). Default 64.</summary>
    [Range(8, 1024)]
    public int MaxDepth { get; set; } = 64;

    public static ReaderOptions Default { get; } = new();
}
