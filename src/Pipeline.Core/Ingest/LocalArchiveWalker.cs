using System.IO.Enumeration;
using Microsoft.Extensions.Logging;
using Pipeline.Diagnostics;

namespace Pipeline.Ingest;

/// <summary>A local file chosen for ingestion.</summary>
/// <param name="NamedAsLog">
/// Named as a CloudTrail log file, or named on the command line: it must be one. False for the other JSON files a
/// folder walk reads in case they are logs under another name; those that turn out not to be are passed over.
/// </param>
internal sealed record LocalSource(string Path, long Length, DateTime LastWriteUtc, bool NamedAsLog = true, bool IsLink = false);

/// <summary>
/// Result of walking the inputs: the files to read, listed lazily one directory at a time (a year of five-minute
/// deliveries is hundreds of thousands of files, and holding all their names would make memory grow with the archive),
/// and the counts of a first pass over the names (for progress and the summary), which may still be running.
/// </summary>
internal sealed class WalkResult(IEnumerable<LocalSource> files, IReadOnlyList<string> missing, Task<WalkCounts> counted)
{
    /// <summary>The files to read, in ordinal order of their full paths; each enumeration lists the folders again.</summary>
    public IEnumerable<LocalSource> Files => files;

    /// <summary>Inputs that do not exist (known before any folder is listed).</summary>
    public IReadOnlyList<string> Missing => missing;

    /// <summary>The first pass over the names: complete when <see cref="LocalArchiveWalker.Walk"/> returns; for
    /// <see cref="LocalArchiveWalker.Start"/>, once every folder has been listed.</summary>
    public Task<WalkCounts> Counted => counted;

    /// <summary>The files named as log files (or on the command line), without the other JSON files read in case they are logs.</summary>
    public IReadOnlyList<LocalSource> NamedLogFiles => Files.Where(f => f.NamedAsLog).ToList();
}

/// <summary>What the first pass over the names found.</summary>
/// <param name="Files">How many files <see cref="WalkResult.Files"/> held when the inputs were walked (the folders may change while a run reads them).</param>
/// <param name="Packed">Archives and files compressed other than with gzip, found in the folders (<see cref="PackedFile"/>): not read, and the run says so.</param>
/// <param name="PackedExamples">The first few of <paramref name="Packed"/>, for the run's summary.</param>
/// <param name="PackedNamed">Archives named on the command line: not read, and each one is an error of the run.</param>
/// <param name="Unreadable">Folders that could not be listed (permissions), each with the reason: their files are not read, and the run says so.</param>
internal sealed record WalkCounts(
    int Files,
    int Digests,
    int Insights,
    int Others,
    int Packed,
    IReadOnlyList<string> PackedExamples,
    IReadOnlyList<string> PackedNamed,
    IReadOnlyList<(string Path, string Reason)> Unreadable);

/// <summary>
/// Expands command-line inputs into CloudTrail log files. Directories are walked recursively (any prefix, optional
/// organization level): files named as CloudTrail names its log files are read, digest and Insight files are not, and
/// other files ending in <c>.json</c>, <c>.jsonl</c>, <c>.ndjson</c> or <c>.gz</c> are read in case they are logs under another
/// name (published datasets such as flaws.cloud's <c>flaws_cloudtrail00.json.gz</c>, copies renamed by hand); the
/// reader tells a log document from other JSON. A file named explicitly is always read, whatever its name.
/// Files come in ordinal order of their full paths, so runs are reproducible, but only one directory's entries are held
/// at a time: each directory is listed and sorted when the walk reaches it (a subdirectory sorts as its name followed by
/// <c>/</c>, which gives the same order as sorting every full path). An input inside another input is walked once, and
/// the dataset folder being written (<c>exclude</c>) is not walked when it lies inside an input.
/// </summary>
internal static partial class LocalArchiveWalker
{
    /// <summary>Deeper than any archive layout; a guard against directory links that lead back into the walk.</summary>
    private const int MaxDepth = 64;

    /// <param name="inputs">Files and folders, as given on the command line.</param>
    /// <param name="exclude">The dataset folder being written, when it lies inside an input.</param>
    /// <param name="logger">Told (at debug level: <c>ingest --verbose</c>) of each file of a folder passed over by its name.</param>
    public static WalkResult Walk(IEnumerable<string> inputs, string? exclude = null, ILogger? logger = null) =>
        Walk(inputs, exclude, logger, countInBackground: false);

    /// <summary>
    /// As <see cref="Walk(IEnumerable{string}, string?, ILogger?)"/>, but the first pass over the names runs on a thread
    /// of its own while <see cref="WalkResult.Files"/> is read: reading starts at once instead of after every folder was
    /// listed (0.1 s for 75,000 files from the page cache, seconds from a cold disk, with the other cores idle).
    /// </summary>
    public static WalkResult Start(IEnumerable<string> inputs, string? exclude = null, ILogger? logger = null) =>
        Walk(inputs, exclude, logger, countInBackground: true);

    private static WalkResult Walk(IEnumerable<string> inputs, string? exclude, ILogger? logger, bool countInBackground)
    {
        var missing = new List<string>();
        var roots = new List<(string Path, bool IsDirectory)>();
        foreach (var input in inputs)
        {
            if (File.Exists(input))
            {
                roots.Add((Path.GetFullPath(input), false));
            }
            else if (Directory.Exists(input))
            {
                roots.Add((Path.TrimEndingDirectorySeparator(Path.GetFullPath(input)), true));
            }
            else
            {
                missing.Add(input);
            }
        }

        roots.Sort((a, b) => string.CompareOrdinal(SortName(a.Path, a.IsDirectory), SortName(b.Path, b.IsDirectory)));
        var distinct = new List<(string Path, bool IsDirectory)>();
        foreach (var root in roots)
        {
            // Sorted, so a folder comes before everything inside it.
            if (!distinct.Any(d => d.Path == root.Path || (d.IsDirectory && IsInside(root.Path, d.Path))))
            {
                distinct.Add(root);
            }
        }

        var excluded = exclude is null ? null : Path.TrimEndingDirectorySeparator(Path.GetFullPath(exclude));
        var counted = countInBackground
            ? Task.Factory.StartNew(() => Count(distinct, excluded, logger), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)
            : Task.FromResult(Count(distinct, excluded, logger));
        return new WalkResult(Sources(distinct, excluded), missing, counted);
    }

    private static WalkCounts Count(List<(string Path, bool IsDirectory)> distinct, string? excluded, ILogger? logger)
    {
        int files = 0, digests = 0, insights = 0, others = 0, packed = 0;
        var unreadable = new List<(string Path, string Reason)>();
        var packedExamples = new List<string>();
        var packedNamed = new List<string>();
        foreach (var entry in Entries(distinct, excluded, stat: false))
        {
            switch (entry.Kind)
            {
                case EntryKind.Unreadable:
                    unreadable.Add((entry.Path, entry.Problem ?? "it cannot be listed"));
                    break;
                case EntryKind.Digest:
                    digests++;
                    break;
                case EntryKind.Insight:
                    insights++;
                    break;
                case EntryKind.PackedNamed:
                    packedNamed.Add(entry.Path);
                    break;
                case EntryKind.Packed:
                    packed++;
                    if (packedExamples.Count < MaxPackedExamples)
                    {
                        packedExamples.Add(entry.Path);
                    }

                    if (logger is not null)
                    {
                        var (what, advice) = PackedFile.Describe(entry.Path)!.Value;
                        LogPackedFile(logger, entry.Path, what, advice);
                    }

                    break;
                case EntryKind.Other:
                    others++;
                    if (logger is not null)
                    {
                        LogOtherFile(logger, entry.Path);
                    }

                    break;
                default:
                    files++;
                    break;
            }
        }

        return new WalkCounts(files, digests, insights, others, packed, packedExamples, packedNamed, unreadable);
    }

    private static IEnumerable<LocalSource> Sources(List<(string Path, bool IsDirectory)> roots, string? excluded)
    {
        foreach (var entry in Entries(roots, excluded, stat: true))
        {
            if (entry.Kind is EntryKind.Log or EntryKind.MaybeLog)
            {
                // A file listed but not found by its name (a folder that can be listed but not entered, a name that is not
                // valid UTF-8, a file deleted since) is still handed over: opening it fails, and the run names it as an
                // error instead of passing over it in silence.
                yield return new LocalSource(entry.Path, entry.Length, entry.LastWriteUtc, entry.Kind == EntryKind.Log, entry.IsLink);
            }
        }
    }

    private static IEnumerable<Entry> Entries(List<(string Path, bool IsDirectory)> roots, string? excluded, bool stat)
    {
        foreach (var (path, isDirectory) in roots)
        {
            if (!isDirectory)
            {
                if (PackedFile.Describe(path) is not null)
                {
                    yield return new Entry(path, EntryKind.PackedNamed, null, 0, DateTime.MinValue);
                    continue;
                }

                // Named on the command line: read whatever its name (an archive excepted: reading it could only fail).
                var info = stat ? new FileInfo(path) : null;
                yield return info is { Exists: true }
                    ? new Entry(path, EntryKind.Log, null, info.Length, info.LastWriteTimeUtc, info.LinkTarget is not null)
                    : new Entry(path, EntryKind.Log, null, 0, DateTime.MinValue);
                continue;
            }

            foreach (var entry in DirectoryEntries(path, excluded, [RealPath(path)], 0, stat))
            {
                yield return entry;
            }
        }
    }

    private static IEnumerable<Entry> DirectoryEntries(string directory, string? excluded, List<string> ancestors, int depth, bool stat)
    {
        var entries = List(directory, stat, out var problem);
        if (entries is null)
        {
            yield return new Entry(directory, EntryKind.Unreadable, problem, 0, DateTime.MinValue);
            yield break;
        }

        entries.Sort((a, b) => string.CompareOrdinal(SortName(a.Path, a.IsDirectory), SortName(b.Path, b.IsDirectory)));
        foreach (var (path, isDirectory, length, lastWriteUtc, isLink) in entries)
        {
            if (!isDirectory)
            {
                yield return new Entry(path, Classify(path), null, length, lastWriteUtc, isLink);
                continue;
            }

            if (path == excluded || depth + 1 >= MaxDepth)
            {
                continue;
            }

            var real = RealPath(path);
            if (ancestors.Contains(real))
            {
                continue; // a link back to a folder the walk is already in
            }

            ancestors.Add(real);
            foreach (var entry in DirectoryEntries(path, excluded, ancestors, depth + 1, stat))
            {
                yield return entry;
            }

            ancestors.RemoveAt(ancestors.Count - 1);
        }
    }

    /// <summary>The entries of one folder; null, with the reason, when it cannot be listed.</summary>
    private static List<Listed>? List(string directory, bool stat, out string? problem)
    {
        var options = new EnumerationOptions { RecurseSubdirectories = false, IgnoreInaccessible = false, AttributesToSkip = FileAttributes.System };
        try
        {
            problem = null;

            // With stat, a file's size and time come from its entry (one status call, no FileInfo), the same values FileInfo
            // gives (a link's own), so ledger identities do not change; a file whose status cannot be read gets no time
            // and fails when opened.
            return new FileSystemEnumerable<Listed>(
                directory,
                stat
                    ? static (ref FileSystemEntry e) => e.IsDirectory
                        ? new Listed(e.ToFullPath(), true, 0, DateTime.MinValue)
                        : new Listed(e.ToFullPath(), false, e.Length, StatTime(e.LastWriteTimeUtc), (e.Attributes & FileAttributes.ReparsePoint) != 0)
                    : static (ref FileSystemEntry e) => new Listed(e.ToFullPath(), e.IsDirectory, 0, DateTime.MinValue),
                options).ToList();
        }
        catch (UnauthorizedAccessException)
        {
            problem = "permission denied";
            return null;
        }
        catch (IOException e)
        {
            problem = e.Message;
            return null;
        }
    }

    // The entry reports a status it could not read as the start of file time (1601).
    private static DateTime StatTime(DateTimeOffset time) => time == DateTimeOffset.FromFileTime(0) ? DateTime.MinValue : time.UtcDateTime;

    private readonly record struct Entry(string Path, EntryKind Kind, string? Problem, long Length, DateTime LastWriteUtc, bool IsLink = false);

    // A class, not a tuple: the framework's enumerator, list and sort over a reference type are precompiled in the
    // ReadyToRun image, while an instantiation over a value tuple was compiled at run time, on the main thread before
    // the first file is read (~4 ms of JIT per run).
    // IsLink: a symbolic link, whose Length and LastWriteUtc are its own (the ledger identity), not its target's.
    private sealed record Listed(string Path, bool IsDirectory, long Length, DateTime LastWriteUtc, bool IsLink = false);

    private static EntryKind Classify(string path)
    {
        var normalized = path.Replace('\\', '/');
        return CloudTrailObjectKey.Classify(normalized) switch
        {
            CloudTrailObjectKind.LogFile => EntryKind.Log,
            CloudTrailObjectKind.Digest => EntryKind.Digest,
            CloudTrailObjectKind.Insight => EntryKind.Insight,
            _ when PackedFile.Describe(normalized) is not null => EntryKind.Packed,
            _ => MayBeRenamedLog(normalized) ? EntryKind.MaybeLog : EntryKind.Other,
        };
    }

    /// <summary>A directory's path with links resolved, to notice a link that leads back to a folder being walked.</summary>
    private static string RealPath(string directory)
    {
        try
        {
            var target = new DirectoryInfo(directory).ResolveLinkTarget(returnFinalTarget: true);
            return target is null ? directory : Path.TrimEndingDirectorySeparator(target.FullName);
        }
        catch (IOException)
        {
            return directory;
        }
    }

    /// <summary>The key a path sorts by: a directory as its path and a separator, so its files sort as their full paths would.</summary>
    private static string SortName(string path, bool isDirectory) => isDirectory ? path + "/" : path;

    private static bool IsInside(string path, string directory) =>
        path.Length > directory.Length && path.StartsWith(directory, StringComparison.Ordinal) && path[directory.Length] is '/' or '\\';

    private static bool MayBeRenamedLog(string path) =>
        path.EndsWith(".json", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase)
        || path.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".ndjson", StringComparison.OrdinalIgnoreCase);

    private const int MaxPackedExamples = 3;

    private enum EntryKind
    {
        Log,
        MaybeLog,
        Digest,
        Insight,
        Packed,
        PackedNamed,
        Other,
        Unreadable,
    }

    [LoggerMessage(EventId = EventIds.Ingest + 7, Level = LogLevel.Debug, Message = "Skipped {Path}: {What}, not a log file; {Advice}")]
    private static partial void LogPackedFile(ILogger logger, string path, string what, string advice);

    [LoggerMessage(EventId = EventIds.Ingest + 6, Level = LogLevel.Debug, Message = "Skipped {Path}: neither named as a CloudTrail log file nor a .json, .jsonl, .ndjson or .gz file (name it on the command line to read it anyway)")]
    private static partial void LogOtherFile(ILogger logger, string path);
}
