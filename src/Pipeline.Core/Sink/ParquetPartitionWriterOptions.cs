using System.ComponentModel.DataAnnotations;

namespace Pipeline.Sink;

/// <summary>Settings of <see cref="ParquetPartitionWriter"/>.</summary>
internal sealed class ParquetPartitionWriterOptions
{
    public const int DefaultRowGroupSize = 128 * 1024;

    /// <summary>Part of every file name, so the writer of a file is known; ASCII letters, digits and '_'.</summary>
    [Required]
    [RegularExpression("^[A-Za-z0-9_]{1,64}$")]
    public string WriterId { get; set; } = "w0";

    /// <summary>
    /// Rows per row group. 128k rows keeps a row group of wide JSON columns within tens of MB, so DuckDB can
    /// read row groups in parallel and prune them by key_arn statistics.
    /// </summary>
    [Range(1, 16 * 1024 * 1024)]
    public int RowGroupSize { get; set; } = DefaultRowGroupSize;
}
