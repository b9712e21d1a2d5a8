using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Pipeline.Query;

namespace Pipeline.Sink;

/// <summary>
/// Merges the files of a partition into few large, sorted files with one row per event (<see cref="DatasetLayout.EventIdentityColumns"/>). Only the files listed
/// at the start are read, so files that writers publish meanwhile are kept. New files are published before the
/// old ones are deleted: a crash in between leaves duplicates, which the <c>kms_events</c> view hides and the
/// next run removes. A local dataset is merged in place; an <c>s3://</c> one (the workers' output, many small files)
/// one partition at a time through a local work folder: its files are downloaded, merged, the result uploaded, then
/// the inputs deleted (report caches drop files gone from S3, so no copy holds a row twice).
/// </summary>
internal sealed class Compactor
{
    private readonly IDatasetStore _store;
    private readonly CompactorOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly string _workRoot;

    public Compactor(LocalDatasetStore store, CompactorOptions? options = null, TimeProvider? time = null, ILogger<Compactor>? logger = null)
        : this((IDatasetStore)store, store.RootDirectory, options, time, logger)
    {
    }

    /// <param name="workDirectory">For an <c>s3://</c> dataset: an empty local folder for one partition's files at a time.</param>
    public Compactor(S3DatasetStore store, string workDirectory, CompactorOptions? options = null, TimeProvider? time = null, ILogger<Compactor>? logger = null)
        : this((IDatasetStore)store, workDirectory, options, time, logger)
    {
    }

    private Compactor(IDatasetStore store, string workRoot, CompactorOptions? options, TimeProvider? time, ILogger<Compactor>? logger)
    {
        _store = store;
        _workRoot = Path.GetFullPath(workRoot);
        _options = options ?? new CompactorOptions();
        _time = time ?? TimeProvider.System;
        _logger = logger ?? NullLogger<Compactor>.Instance;
    }

    /// <summary>Compacts the partition of <paramref name="eventDate"/>, or every partition when it is null.</summary>
    public async Task<IReadOnlyList<PartitionCompaction>> CompactAsync(DateOnly? eventDate, CancellationToken cancellationToken)
    {
        if (_store is LocalDatasetStore local && !Directory.Exists(local.RootDirectory))
        {
            throw new DatasetNotFoundException(local.RootDirectory);
        }

        Directory.CreateDirectory(_workRoot);

        var days = new List<DateOnly>();
        if (eventDate is { } single)
        {
            days.Add(single);
        }
        else
        {
            foreach (var name in await _store.ListDirectoriesAsync(DatasetLayout.TableDirectory, cancellationToken).ConfigureAwait(false))
            {
                if (DatasetLayout.TryParsePartition(name, out var day))
                {
                    days.Add(day);
                }
            }
        }

        using var query = DatasetQuery.Open(_workRoot);
        var results = new List<PartitionCompaction>(days.Count);
        foreach (var day in days)
        {
            results.Add(await CompactPartitionAsync(query, day, cancellationToken).ConfigureAwait(false));
        }

        return results;
    }

    private async Task<PartitionCompaction> CompactPartitionAsync(DatasetQuery query, DateOnly day, CancellationToken cancellationToken)
    {
        var partition = DatasetLayout.PartitionDirectory(day.DayNumber);
        var inputs = await _store.ListFilesAsync(partition, DatasetLayout.ParquetSuffix, cancellationToken).ConfigureAwait(false);
        if (inputs.Count == 0)
        {
            return new PartitionCompaction(day, 0, 0, 0, 0, Skipped: true);
        }

        // An s3:// partition's files are read from a local copy (DuckDB has no S3 access here).
        var download = _store is S3DatasetStore ? Path.Combine(_workRoot, DatasetLayout.NewTempName()) : null;
        try
        {
            var paths = new List<string>(inputs.Count);
            foreach (var input in inputs)
            {
                paths.Add(await LocalCopyAsync(input, download, cancellationToken).ConfigureAwait(false));
            }

            return await CompactFilesAsync(query, day, partition, inputs, paths, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (download is not null && Directory.Exists(download))
            {
                Directory.Delete(download, recursive: true);
            }
        }
    }

    private async Task<string> LocalCopyAsync(DatasetFile input, string? download, CancellationToken cancellationToken)
    {
        switch (_store)
        {
            case LocalDatasetStore local:
                return local.GetFullPath(input.RelativePath);
            case S3DatasetStore s3:
                Directory.CreateDirectory(download!);
                var path = Path.Combine(download!, input.Name);
                await s3.DownloadAsync(input.RelativePath, path, cancellationToken).ConfigureAwait(false);
                return path;
            default:
                throw new NotSupportedException($"compaction of {_store.Location}");
        }
    }

    private async Task<PartitionCompaction> CompactFilesAsync(DatasetQuery query, DateOnly day, string partition, IReadOnlyList<DatasetFile> inputs, List<string> paths, CancellationToken cancellationToken)
    {
        var list = FileList(paths);
        var rowsBefore = await CountRowsAsync(query, list, cancellationToken).ConfigureAwait(false);

        var distinct = Convert.ToInt64(
            await query.QueryScalarAsync("SELECT count(*) FROM (SELECT DISTINCT " + DatasetLayout.EventIdentityColumns + " FROM read_parquet(" + list + ", hive_partitioning = false))", cancellationToken).ConfigureAwait(false),
            CultureInfo.InvariantCulture);

        // A single file, or only outputs of an earlier compaction (split by size), is already compact, unless it holds
        // duplicates: one flush can take both deliveries of an event (CloudTrail documents duplicate deliveries).
        var compactAlready = inputs.Count < 2 || inputs.All(f => f.Name.StartsWith(DatasetLayout.CompactedPrefix, StringComparison.Ordinal));
        if (compactAlready && distinct == rowsBefore)
        {
            return new PartitionCompaction(day, inputs.Count, inputs.Count, rowsBefore, rowsBefore, Skipped: true);
        }
        // Locally the outputs are written inside the partition, so that publishing them is a rename.
        var tempDirectory = _store is LocalDatasetStore localStore
            ? localStore.GetFullPath(partition + "/" + DatasetLayout.NewTempName())
            : Path.Combine(_workRoot, DatasetLayout.NewTempName());
        try
        {
            await query.ExecuteAsync(CopySql(list, tempDirectory), cancellationToken).ConfigureAwait(false);
            var outputs = Directory.GetFiles(tempDirectory, "*" + DatasetLayout.ParquetSuffix).Order(StringComparer.Ordinal).ToArray();
            var rowsAfter = outputs.Length == 0 ? 0 : await CountRowsAsync(query, FileList(outputs), cancellationToken).ConfigureAwait(false);

            // Never trade the inputs for output that lost an event.
            if (rowsAfter != distinct)
            {
                throw new InvalidDataException($"Compaction of {partition} produced {rowsAfter} rows for {distinct} distinct events; inputs kept.");
            }

            var now = _time.GetUtcNow();
            foreach (var output in outputs)
            {
                await PublishAsync(output, partition, DatasetLayout.NewPartFileName("compact", now), cancellationToken).ConfigureAwait(false);
            }

            foreach (var input in inputs)
            {
                try
                {
                    await _store.DeleteAsync(input.RelativePath, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is IOException or Amazon.Runtime.AmazonServiceException)
                {
                    // The merged file holds its rows; the leftover is a duplicate that the views hide and the next run removes.
                    SinkLog.CompactedInputNotDeleted(_logger, input.RelativePath, e);
                }
            }

            SinkLog.PartitionCompacted(_logger, partition, inputs.Count, outputs.Length, rowsBefore, rowsAfter);
            return new PartitionCompaction(day, inputs.Count, outputs.Length, rowsBefore, rowsAfter, Skipped: false);
        }
        finally
        {
            if (Directory.Exists(tempDirectory))
            {
                Directory.Delete(tempDirectory, recursive: true);
            }
        }
    }

    private async Task PublishAsync(string output, string partition, string name, CancellationToken cancellationToken)
    {
        if (_store is LocalDatasetStore local)
        {
            local.PublishLocalFile(output, partition + "/" + name);
            return;
        }

        var staged = await _store.CreateStagedFileAsync(partition, cancellationToken).ConfigureAwait(false);
        await using (staged.ConfigureAwait(false))
        {
            var source = File.OpenRead(output);
            await using (source.ConfigureAwait(false))
            {
                await source.CopyToAsync(staged.Stream, cancellationToken).ConfigureAwait(false);
            }

            await staged.PublishAsync(name, cancellationToken).ConfigureAwait(false);
        }
    }

    private string CopySql(string list, string tempDirectory)
    {
        // Explicit casts pin every column to the type the writer produces (union_by_name may otherwise widen or
        // null-type a column missing from older files); event_date is not selected because it is the directory.
        var columns = string.Join(", ", KmsSchema.Columns.Select(c => "CAST(" + c.Name + " AS " + DatasetQuery.DuckDbType(c.Kind) + ") AS " + c.Name));
        var created = DatasetQuery.Literal(_time.GetUtcNow().UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture));
        return new StringBuilder()
            .Append("COPY (SELECT ").Append(columns)
            .Append(" FROM read_parquet(").Append(list).Append(", hive_partitioning = false, union_by_name = true)")
            .Append(" QUALIFY row_number() OVER (PARTITION BY ").Append(DatasetLayout.EventIdentityColumns).Append(" ORDER BY ingest_time, src_key, src_record_index) = 1")
            .Append(" ORDER BY key_arn NULLS LAST, event_time, event_id)")
            .Append(" TO ").Append(DatasetQuery.Literal(tempDirectory))
            .Append(" (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE ").Append(_options.RowGroupSize.ToString(CultureInfo.InvariantCulture))
            .Append(", FILE_SIZE_BYTES ").Append(((long)_options.TargetFileMegabytes * 1024 * 1024).ToString(CultureInfo.InvariantCulture))
            .Append(", KV_METADATA {'pipeline.writer': 'compact', 'pipeline.created': ").Append(created).Append("})")
            .ToString();
    }

    private static async Task<long> CountRowsAsync(DatasetQuery query, string list, CancellationToken cancellationToken) =>
        Convert.ToInt64(
            await query.QueryScalarAsync("SELECT CAST(coalesce(sum(num_rows), 0) AS BIGINT) FROM parquet_file_metadata(" + list + ")", cancellationToken).ConfigureAwait(false),
            CultureInfo.InvariantCulture);

    private static string FileList(IEnumerable<string> paths) => "[" + string.Join(", ", paths.Select(DatasetQuery.Literal)) + "]";
}
