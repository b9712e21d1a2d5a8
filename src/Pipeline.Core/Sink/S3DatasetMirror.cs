namespace Pipeline.Sink;

/// <summary>What <see cref="S3DatasetMirror.SyncAsync"/> did.</summary>
/// <param name="Partitions">Days of the range the dataset has (and the copy now holds).</param>
/// <param name="FirstDay">The dataset's first day, whatever the range; null when it has no day at all (nothing there).</param>
/// <param name="LastDay">The dataset's last day, whatever the range.</param>
/// <param name="AllPartitions">Days the dataset has, whatever the range.</param>
internal readonly record struct MirrorResult(int Partitions, int Downloaded, long BytesDownloaded, int UpToDate, int Removed, DateOnly? FirstDay = null, DateOnly? LastDay = null, int AllPartitions = 0);

/// <summary>
/// Keeps a local copy of the partitions of an <c>s3://</c> dataset that a report reads, so that the embedded DuckDB
/// (which has no S3 access here) can query them. Part files are never rewritten under the same name, so a file of the
/// same name and size is up to date; files gone from S3 (merged by a compaction) are removed locally, so the copy never
/// holds a row twice. The ledger is not copied (one object per ingested log file).
/// </summary>
internal static class S3DatasetMirror
{
    public static async Task<MirrorResult> SyncAsync(S3DatasetStore store, string localRoot, DateOnly from, DateOnly to, CancellationToken cancellationToken)
    {
        var table = Path.Combine(localRoot, DatasetLayout.TableDirectory);
        Directory.CreateDirectory(table);
        var allDays = (await store.ListDirectoriesAsync(DatasetLayout.TableDirectory, cancellationToken).ConfigureAwait(false))
            .Select(name => (Name: name, Ok: DatasetLayout.TryParsePartition(name, out var day), Day: day))
            .Where(p => p.Ok)
            .ToList();
        var remotePartitions = allDays.Where(p => p.Day >= from && p.Day <= to).Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        int downloaded = 0, upToDate = 0, removed = 0;
        long bytes = 0;
        foreach (var partition in remotePartitions.Order(StringComparer.Ordinal))
        {
            var directory = Directory.CreateDirectory(Path.Combine(table, partition)).FullName;
            var remote = await store.ListFilesAsync(DatasetLayout.TableDirectory + "/" + partition, DatasetLayout.ParquetSuffix, cancellationToken).ConfigureAwait(false);
            foreach (var file in remote)
            {
                var local = new FileInfo(Path.Combine(directory, file.Name));
                if (local.Exists && local.Length == file.Length)
                {
                    upToDate++;
                    continue;
                }

                await store.DownloadAsync(file.RelativePath, local.FullName, cancellationToken).ConfigureAwait(false);
                downloaded++;
                bytes += file.Length;
            }

            var names = remote.Select(f => f.Name).ToHashSet(StringComparer.Ordinal);
            foreach (var stale in Directory.EnumerateFiles(directory).Where(f => !names.Contains(Path.GetFileName(f))).ToList())
            {
                File.Delete(stale);
                removed++;
            }
        }

        // Partitions of the range that S3 no longer has (a dataset pruned by its owner) go too.
        foreach (var directory in Directory.EnumerateDirectories(table))
        {
            var name = Path.GetFileName(directory);
            if (DatasetLayout.TryParsePartition(name, out var day) && day >= from && day <= to && !remotePartitions.Contains(name))
            {
                removed += Directory.GetFiles(directory).Length;
                Directory.Delete(directory, recursive: true);
            }
        }

        return new MirrorResult(
            remotePartitions.Count,
            downloaded,
            bytes,
            upToDate,
            removed,
            allDays.Count == 0 ? null : allDays.Min(p => p.Day),
            allDays.Count == 0 ? null : allDays.Max(p => p.Day),
            allDays.Count);
    }
}
