using System.ComponentModel.DataAnnotations;

namespace Pipeline.Sink;

/// <summary>Settings of <see cref="Compactor"/>.</summary>
internal sealed class CompactorOptions
{
    public const int DefaultTargetFileMegabytes = 256;

    /// <summary>Approximate size at which DuckDB starts a new output file; a few hundred MB keeps files few but still parallel to scan.</summary>
    [Range(1, 64 * 1024)]
    public int TargetFileMegabytes { get; set; } = DefaultTargetFileMegabytes;

    /// <summary>Rows per row group, the same as the writer's so both kinds of files prune alike.</summary>
    [Range(1024, 16 * 1024 * 1024)]
    public int RowGroupSize { get; set; } = ParquetPartitionWriterOptions.DefaultRowGroupSize;
}
