namespace Pipeline.Ingest;

/// <summary>
/// Files named as archives (zip, tar, 7-Zip, RAR) or as compressed with something other than gzip. Published
/// CloudTrail datasets are often downloaded that way (a tar of <c>.json.gz</c> files, a zip of JSON): ingest reads
/// log files, not the archives that hold them, and says so by name instead of counting them among "other files".
/// </summary>
internal static class PackedFile
{
    private static readonly (string Suffix, string What, string Advice)[] Kinds =
    [
        (".tar.gz", TarArchive, UnpackTar),
        (".tgz", TarArchive, UnpackTar),
        (".tar.bz2", TarArchive, UnpackTar),
        (".tbz2", TarArchive, UnpackTar),
        (".tar.xz", TarArchive, UnpackTar),
        (".txz", TarArchive, UnpackTar),
        (".tar.zst", TarArchive, UnpackTar),
        (".tar", TarArchive, UnpackTar),
        (".zip", "a zip archive", "unpack it (unzip) and ingest the files it holds"),
        (".7z", "a 7-Zip archive", "unpack it (7z x) and ingest the files it holds"),
        (".rar", "a RAR archive", "unpack it and ingest the files it holds"),
        (".bz2", "compressed with bzip2", "decompress it (bunzip2) and ingest the result"),
        (".xz", "compressed with xz", "decompress it (unxz) and ingest the result"),
        (".zst", "compressed with zstd", "decompress it (zstd -d) and ingest the result"),
        (".lz4", "compressed with lz4", "decompress it (lz4 -d) and ingest the result"),
    ];

    private const string TarArchive = "a tar archive";
    private const string UnpackTar = "unpack it (tar -xf) and ingest the files it holds";

    /// <summary>What the file's name says it is and what to do with it; null for any other name.</summary>
    public static (string What, string Advice)? Describe(string path)
    {
        foreach (var (suffix, what, advice) in Kinds)
        {
            if (path.EndsWith(suffix, StringComparison.OrdinalIgnoreCase))
            {
                return (what, advice);
            }
        }

        return null;
    }

    /// <summary>One line for a user: the file, what it is, and what to do (ingest reads log files, gzip or plain JSON).</summary>
    public static string Explain(string path) =>
        Describe(path) is { } d
            ? $"{path}: {d.What}, not a log file; {d.Advice}"
            : throw new ArgumentException($"not named as an archive or a compressed file: {path}", nameof(path));
}
