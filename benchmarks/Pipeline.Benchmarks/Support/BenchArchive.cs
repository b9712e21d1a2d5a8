using System.IO.Compression;
using Pipeline.Generation;
using Pipeline.Ingest;

namespace Pipeline.Benchmarks.Support;

/// <summary>
/// The small synthetic archive the micro-benchmarks read: generated once per machine under the temp folder
/// (deterministic, so a cached copy is identical) and loaded into memory so no benchmark measures the disk.
/// </summary>
internal static class BenchArchive
{
    /// <summary>About 24 MiB decompressed, one day, one file per (account, region) every 4 hours.</summary>
    public const long DecompressedBytes = 24L * 1024 * 1024;

    public const int DeliveryMinutes = 240;

    public static string EnsureGenerated()
    {
        var dir = Path.Combine(Path.GetTempPath(), $"pipeline-bench-archive-{DecompressedBytes >> 20}mb-{DeliveryMinutes}min");
        if (File.Exists(Path.Combine(dir, ArchiveGenerator.ManifestFileName)))
        {
            return dir;
        }

        var staging = $"{dir}.tmp-{Environment.ProcessId}";
        var options = new GeneratorOptions
        {
            OutputDirectory = staging,
            Days = 1,
            EndDate = new DateOnly(2026, 1, 14),
            Seed = 42,
            TargetUncompressedBytes = DecompressedBytes,
            DeliveryMinutes = DeliveryMinutes,
        };
        ArchiveGenerator.GenerateAsync(options, null, CancellationToken.None).GetAwaiter().GetResult();
        try
        {
            Directory.Move(staging, dir);
        }
        catch (IOException)
        {
            Directory.Delete(staging, recursive: true); // another process finished first; its copy is identical
        }

        return dir;
    }

    /// <summary>The CloudTrail log files (not digests) under <paramref name="dir"/>, classified as ingest does.</summary>
    public static IReadOnlyList<string> LogFiles(string dir) =>
        LocalArchiveWalker.Walk([dir]).NamedLogFiles.Select(f => f.Path).Order(StringComparer.Ordinal).ToList();

    public static byte[][] LoadCompressed() => LogFiles(EnsureGenerated()).Select(File.ReadAllBytes).ToArray();

    public static byte[] Decompress(byte[] gzip)
    {
        using var gz = new GZipStream(new MemoryStream(gzip), CompressionMode.Decompress);
        using var output = new MemoryStream();
        gz.CopyTo(output);
        return output.ToArray();
    }
}
