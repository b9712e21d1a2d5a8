using System.ComponentModel.DataAnnotations;

namespace Pipeline.Sink;

/// <summary>When buffered rows become Parquet files. Defaults suit CloudTrail: a few large files, bounded memory, bounded delay.</summary>
internal sealed class SinkOptions
{
    public const string Section = "Sink";

    /// <summary>
    /// Publish buffered rows once they hold this many bytes in memory (default 8 MiB). Flushes encode in the background
    /// while the next rows gather, so up to <see cref="MaxConcurrentFlushes"/> + 1 times this is held (twice it on two
    /// cores). 8 MiB keeps <c>ingest</c> of a 1 GB archive at 122-129 MB
    /// peak RSS where 16 MiB measured 143-165 MB, for the same CPU and 1 % more Parquet bytes (files are half as large,
    /// which <c>compact</c> undoes).
    /// </summary>
    [Range(1L * 1024 * 1024, 4L * 1024 * 1024 * 1024)]
    public long FlushBytes { get; set; } = 8L * 1024 * 1024;

    /// <summary>Publish buffered rows once there are this many (default 500,000).</summary>
    [Range(1, 50_000_000)]
    public int FlushRows { get; set; } = 500_000;

    /// <summary>Publish buffered rows at the latest this long after the oldest arrived (default 5 minutes; the worker's notification-to-query delay).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "06:00:00")]
    public TimeSpan FlushAge { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>A single object's rows past this size are written to staged files while it is still being read (default 16 MiB), so memory stays flat for any object size.</summary>
    [Range(1L * 1024 * 1024, 1L * 1024 * 1024 * 1024)]
    public long SpillBytes { get; set; } = 16L * 1024 * 1024;

    /// <summary>
    /// Flushes that may encode at once (default 0: half the processors the process may use, at least 1). Encoding
    /// (sort, dictionaries, pages, zstd) is about a third of ingest's CPU; with a single encoder, readers on more than
    /// about three cores would wait for it.
    /// </summary>
    [Range(0, 64)]
    public int MaxConcurrentFlushes { get; set; }

    /// <summary><see cref="MaxConcurrentFlushes"/> with 0 resolved for this machine.</summary>
    public int EffectiveMaxConcurrentFlushes =>
        MaxConcurrentFlushes > 0 ? MaxConcurrentFlushes : Math.Max(1, Environment.ProcessorCount / 2);

    /// <summary>Rows per Parquet row group (default 131,072).</summary>
    [Range(1024, 10_000_000)]
    public int RowGroupRows { get; set; } = 128 * 1024;
}
