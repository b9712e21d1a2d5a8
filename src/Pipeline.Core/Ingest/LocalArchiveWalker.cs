namespace Pipeline.Ingest;

/// <summary>A local file chosen for ingestion.</summary>
internal sealed record LocalSource(string Path, long Length, DateTime LastWriteUtc);

/// <summary>Result of walking the inputs: the log files to read and what was passed over.</summary>
internal sealed record WalkResult(IReadOnlyList<LocalSource> Files, int Digests, int Insights, int Others, IReadOnlyList<string> Missing);

/// <summary>
/// Expands command-line inputs into CloudTrail log files. Directories are walked recursively (any prefix, optional
/// organization level) and only log files are kept; a file named explicitly is always read, whatever its name.
/// Output is sorted by path so runs are reproducible.
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
                        others++;
                        break;
                }
            }
        }

        files.Sort((a, b) => string.CompareOrdinal(a.Path, b.Path));
        return new WalkResult(files, digests, insights, others, missing);

        void Add(FileInfo f)
        {
            if (seen.Add(f.FullName))
            {
                files.Add(new LocalSource(f.FullName, f.Length, f.LastWriteTimeUtc));
            }
        }
    }
}
