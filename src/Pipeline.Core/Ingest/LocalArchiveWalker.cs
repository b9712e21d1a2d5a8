namespace Pipeline.Ingest;

/// <summary>A local file chosen for ingestion.</summary>
/// <param name="NamedAsLog">
/// Named as a CloudTrail log file, or named on the command line: it must be one. False for the other JSON files a
/// folder walk reads in case they are logs under another name; those that turn out not to be are passed over.
/// </param>
internal sealed record LocalSource(string Path, long Length, DateTime LastWriteUtc, bool NamedAsLog = true);

/// <summary>Result of walking the inputs: the files to read and what was passed over.</summary>
internal sealed record WalkResult(IReadOnlyList<LocalSource> Files, int Digests, int Insights, int Others, IReadOnlyList<string> Missing)
{
    /// <summary>The files named as log files (or on the command line), without the other JSON files read in case they are logs.</summary>
    public IReadOnlyList<LocalSource> NamedLogFiles => Files.Where(f => f.NamedAsLog).ToList();
}

/// <summary>
/// Expands command-line inputs into CloudTrail log files. Directories are walked recursively (any prefix, optional
/// organization level): files named as CloudTrail names its log files are read, digest and Insight files are not, and
/// other files ending in <c>.json</c>, <c>.jsonl</c>, <c>.ndjson</c> or <c>.gz</c> are read in case they are logs under another
/// name (published datasets such as flaws.cloud's <c>flaws_cloudtrail00.json.gz</c>, copies renamed by hand); the
/// reader tells a log document from other JSON. A file named explicitly is always read, whatever its name. Output is
/// sorted by path so runs are reproducible.
/// </summary>
internal static class LocalArchiveWalker
{
    public static WalkResult Walk(IEnumerable<string> inputs)
    {
        var files = new List<LocalSource>();
        var missing = new List<string>();
        int digests = 0, insights = 0, others = 0;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var input in inputs)
        {
            if (File.Exists(input))
            {
                Add(new FileInfo(input));
                continue;
            }

            if (!Directory.Exists(input))
            {
                missing.Add(input);
                continue;
            }

            var options = new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = false, AttributesToSkip = FileAttributes.System };
            foreach (var path in Directory.EnumerateFiles(input, "*", options))
            {
                var normalized = path.Replace('\\', '/');
                switch (CloudTrailObjectKey.Classify(normalized))
                {
                    case CloudTrailObjectKind.LogFile:
                        Add(new FileInfo(path));
                        break;
                    case CloudTrailObjectKind.Digest:
                        digests++;
                        break;
                    case CloudTrailObjectKind.Insight:
                        insights++;
                        break;
                    default:
                        if (MayBeRenamedLog(normalized))
                        {
                            Add(new FileInfo(path), namedAsLog: false);
                        }
                        else
                        {
                            others++;
                        }

                        break;
                }
            }
        }

        files.Sort((a, b) => string.CompareOrdinal(a.Path, b.Path));
        return new WalkResult(files, digests, insights, others, missing);

        void Add(FileInfo f, bool namedAsLog = true)
        {
            if (seen.Add(f.FullName))
            {
                files.Add(new LocalSource(f.FullName, f.Length, f.LastWriteTimeUtc, namedAsLog));
            }
        }
    }

    private static bool MayBeRenamedLog(string path) =>
        path.EndsWith(".json", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase)
        || path.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".ndjson", StringComparison.OrdinalIgnoreCase);
}
