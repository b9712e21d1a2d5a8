using System.Buffers;
using System.Collections.Concurrent;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Pipeline.Sink;

/// <summary>
/// <see cref="IDatasetStore"/> over a local directory. Publishing is fsync(file), rename without overwrite,
/// fsync(directory): a reader or a crash sees either no file or the complete file, never a prefix.
/// </summary>
internal sealed class LocalDatasetStore : IDatasetStore
{
    private readonly string _root;
    private readonly string _rootPrefix;

    // Folders this store has made or found (the ledger's fan-out folders): a marker's link needs no check of its folder
    // each time. A folder removed while the store runs makes that link fail, and the marker is then written the slow way,
    // which makes the folder again.
    private readonly ConcurrentDictionary<string, bool> _knownDirectories = new(StringComparer.Ordinal);

    public LocalDatasetStore(string root)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        _root = Path.GetFullPath(root);
        _rootPrefix = Path.EndsInDirectorySeparator(_root) ? _root : _root + Path.DirectorySeparatorChar;
    }

    public string Location => _root;

    public string RootDirectory => _root;

    /// <summary>Maps a relative dataset path to a full path; refuses paths that would leave the root.</summary>
    public string GetFullPath(string relativePath)
    {
        if (IsPlainRelative(relativePath))
        {
            // Nothing to resolve (the ledger's and the layout's own names): joined without normalising, ~1 µs a call less.
            return _rootPrefix + (Path.DirectorySeparatorChar == '/' ? relativePath : relativePath.Replace('/', Path.DirectorySeparatorChar));
        }

        var full = Path.GetFullPath(Path.Combine(_root, relativePath));
        if (!full.StartsWith(_root + Path.DirectorySeparatorChar, StringComparison.Ordinal) && full != _root)
        {
            throw new ArgumentException($"Path '{relativePath}' is outside the dataset root '{_root}'.", nameof(relativePath));
        }

        return full;
    }

    /// <summary>
    /// True (on Linux and macOS) for a relative path of plain names separated by single slashes: no empty, "." or ".."
    /// segment, no backslash, colon or NUL, not rooted; such a path joined to the root stays inside it as it is.
    /// </summary>
    internal static bool IsPlainRelative(string path)
    {
        // Windows rewrites some plain-looking names (trailing dots and spaces, device names such as CON): there every path
        // is normalised.
        if (OperatingSystem.IsWindows() || path.Length == 0 || path[0] == '/' || path[^1] == '/' || path.AsSpan().IndexOfAny('\\', ':', '\0') >= 0)
        {
            return false;
        }

        foreach (var range in path.AsSpan().Split('/'))
        {
            var segment = path.AsSpan(range);
            if (segment.Length == 0 || segment is "." or "..")
            {
                return false;
            }
        }

        return true;
    }

    private void EnsureDirectory(string directory)
    {
        if (!_knownDirectories.ContainsKey(directory))
        {
            Directory.CreateDirectory(directory);
            _knownDirectories.TryAdd(directory, true);
        }
    }

    public Task ProbeWritableAsync(string relativeDirectory, CancellationToken cancellationToken) =>
        StagedFiles.ProbeAsync(this, relativeDirectory, cancellationToken);

    public Task<IStagedFile> CreateStagedFileAsync(string relativeDirectory, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var directory = GetFullPath(relativeDirectory);
        Directory.CreateDirectory(directory);
        var tempPath = Path.Combine(directory, DatasetLayout.NewTempName());
        var stream = new FileStream(tempPath, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.Asynchronous);
        return Task.FromResult<IStagedFile>(new LocalStagedFile(this, relativeDirectory, tempPath, stream));
    }

    /// <summary>
    /// Publishes a complete file that is already inside the root (written by another tool, e.g. DuckDB) under
    /// <paramref name="finalRelativePath"/>, with the same durability as a staged file.
    /// </summary>
    public void PublishLocalFile(string tempFullPath, string finalRelativePath)
    {
        using (var handle = File.OpenHandle(tempFullPath, FileMode.Open, FileAccess.ReadWrite))
        {
            RandomAccess.FlushToDisk(handle);
        }

        var finalPath = GetFullPath(finalRelativePath);
        File.Move(tempFullPath, finalPath, overwrite: false);
        DirectorySync.TryFlush(Path.GetDirectoryName(finalPath)!);
    }

    public Task<IReadOnlyList<DatasetFile>> ListFilesAsync(string relativeDirectory, string suffix, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var directory = new DirectoryInfo(GetFullPath(relativeDirectory));
        if (!directory.Exists)
        {
            return Task.FromResult<IReadOnlyList<DatasetFile>>([]);
        }

        var prefix = relativeDirectory.TrimEnd('/');
        var files = directory.EnumerateFiles()
            .Where(f => f.Name.EndsWith(suffix, StringComparison.Ordinal) && !IsTemp(f.Name))
            .OrderBy(f => f.Name, StringComparer.Ordinal)
            .Select(f => new DatasetFile(prefix.Length == 0 ? f.Name : prefix + "/" + f.Name, f.Length, f.LastWriteTimeUtc))
            .ToArray();
        return Task.FromResult<IReadOnlyList<DatasetFile>>(files);
    }

    public Task<IReadOnlyList<string>> ListDirectoriesAsync(string relativeDirectory, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var directory = new DirectoryInfo(GetFullPath(relativeDirectory));
        IReadOnlyList<string> names = directory.Exists
            ? directory.EnumerateDirectories().Select(d => d.Name).Where(n => !IsTemp(n)).OrderBy(n => n, StringComparer.Ordinal).ToArray()
            : [];
        return Task.FromResult(names);
    }

    public Task<bool> ExistsAsync(string relativePath, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(File.Exists(GetFullPath(relativePath)));
    }

    public Task DeleteAsync(string relativePath, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        File.Delete(GetFullPath(relativePath));
        return Task.CompletedTask;
    }

    public async Task<string?> ReadTextAsync(string relativePath, CancellationToken cancellationToken)
    {
        // Most lookups (ledger markers of objects not seen yet) miss: answer those without throwing, which is ~100x dearer.
        var path = GetFullPath(relativePath);
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            return await File.ReadAllTextAsync(path, Encoding.UTF8, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    public Task WriteTextAsync(string relativePath, string content, CancellationToken cancellationToken, bool durable = true)
    {
        cancellationToken.ThrowIfCancellationRequested();
        WriteText(relativePath, content, durable);
        return Task.CompletedTask;
    }

    private void WriteText(string relativePath, string content, bool durable)
    {
        var finalPath = GetFullPath(relativePath);
        var directory = Path.GetDirectoryName(finalPath)!;
        Directory.CreateDirectory(directory);

        // One write through a bare handle: a FileStream would allocate its 64 KiB buffer for each of these small files
        // (one ledger marker per object read), which was most of the allocation of a worker on small objects.
        var tempPath = Path.Combine(directory, DatasetLayout.NewTempName());
        try
        {
            using (var handle = File.OpenHandle(tempPath, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                RandomAccess.Write(handle, Encoding.UTF8.GetBytes(content), 0);
                if (durable)
                {
                    RandomAccess.FlushToDisk(handle);
                }
            }

            // Small files such as ledger markers are replaced as a whole: rename over the old one is atomic on POSIX
            // and on NTFS, so a reader never sees a mix.
            File.Move(tempPath, finalPath, overwrite: true);
        }
        catch
        {
            TryDelete(tempPath);
            throw;
        }

        if (durable)
        {
            DirectorySync.TryFlush(directory);
        }
    }

    /// <summary>
    /// Writes the lines once, as one file, and gives it every path as a hard link: one inode for a whole flush of
    /// ledger markers instead of one per object (allocating inodes was 12–19 % of a worker's CPU on small objects).
    /// Where hard links are refused, each path gets its own copy.
    /// </summary>
    public Task WriteLinesAsync(IReadOnlyList<(string RelativePath, string Line)> entries, CancellationToken cancellationToken)
    {
        if (entries.Count == 0)
        {
            return Task.CompletedTask;
        }

        cancellationToken.ThrowIfCancellationRequested();
        if (entries.Count == 1 || !HardLink.IsSupported)
        {
            foreach (var (relativePath, line) in entries)
            {
                WriteText(relativePath, line + "\n", durable: false);
            }

            return Task.CompletedTask;
        }

        // The shared text in a pooled buffer: a flush's markers are ~0.5 MB, and a new array each time is a large object
        // whose allocations set off full collections.
        var length = 0;
        foreach (var (_, line) in entries)
        {
            length += Encoding.UTF8.GetByteCount(line) + 1;
        }

        var content = ArrayPool<byte>.Shared.Rent(length);
        var written = 0;
        foreach (var (_, line) in entries)
        {
            written += Encoding.UTF8.GetBytes(line, content.AsSpan(written));
            content[written++] = (byte)'\n';
        }

        var first = GetFullPath(entries[0].RelativePath);
        EnsureDirectory(Path.GetDirectoryName(first)!);

        // The shared text starts under a temporary name (invisible to readers, removed by the stale-file cleanup if a
        // crash leaves it); the paths are links to it, and the temporary name goes once every path has its link.
        var segment = Path.Combine(Path.GetDirectoryName(first)!, DatasetLayout.NewTempName());
        try
        {
            WriteSegment(segment, content.AsSpan(0, written));

            foreach (var (relativePath, line) in entries)
            {
                var path = GetFullPath(relativePath);
                var directory = Path.GetDirectoryName(path)!;
                EnsureDirectory(directory);
                var result = HardLink.TryCreate(segment, path);
                if (result == LinkResult.Exists)
                {
                    // Replace the old marker as a whole: link under a temporary name, then rename over it.
                    var temp = Path.Combine(directory, DatasetLayout.NewTempName());
                    result = HardLink.TryCreate(segment, temp);
                    if (result == LinkResult.Created)
                    {
                        File.Move(temp, path, overwrite: true);
                    }
                }

                if (result == LinkResult.Unsupported)
                {
                    WriteText(relativePath, line + "\n", durable: false);
                }
            }
        }
        finally
        {
            TryDelete(segment);
            ArrayPool<byte>.Shared.Return(content);
        }

        return Task.CompletedTask;
    }

    // The shared text's folder is the first marker's; if it was removed since this store made it, it is made again.
    private void WriteSegment(string path, ReadOnlySpan<byte> content)
    {
        SafeFileHandle handle;
        try
        {
            handle = File.OpenHandle(path, FileMode.CreateNew, FileAccess.Write, FileShare.None);
        }
        catch (DirectoryNotFoundException)
        {
            var directory = Path.GetDirectoryName(path)!;
            _knownDirectories.TryRemove(directory, out _);
            EnsureDirectory(directory);
            handle = File.OpenHandle(path, FileMode.CreateNew, FileAccess.Write, FileShare.None);
        }

        using (handle)
        {
            RandomAccess.Write(handle, content, 0);
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Left for CleanupStaleTempFiles; its name keeps it invisible to readers.
        }
    }

    public int CleanupStaleTempFiles(TimeSpan olderThan)
    {
        if (!Directory.Exists(_root))
        {
            return 0;
        }

        var cutoff = DateTime.UtcNow - olderThan;
        var removed = 0;
        foreach (var entry in new DirectoryInfo(_root).EnumerateFileSystemInfos(DatasetLayout.TempPrefix + "*", SearchOption.AllDirectories).ToArray())
        {
            if (entry.LastWriteTimeUtc >= cutoff)
            {
                continue;
            }

            try
            {
                if (entry is DirectoryInfo directory)
                {
                    directory.Delete(recursive: true);
                }
                else
                {
                    entry.Delete();
                }

                removed++;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Another process may be finishing or removing it; the next cleanup will try again.
            }
        }

        return removed;
    }

    internal static bool IsTemp(string name) => name.StartsWith(DatasetLayout.TempPrefix, StringComparison.Ordinal);
}
