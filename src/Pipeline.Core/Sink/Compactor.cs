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
/// next run removes.
/// </summary>
internal sealed class Compactor
{
    private readonly LocalDatasetStore _store;
    private readonly CompactorOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    public Compactor(LocalDatasetStore store, CompactorOptions? options = null, TimeProvider? time = null, ILogger<Compactor>? logger = null)
    {
        _store = store;
        _options = options ?? new CompactorOptions();
        _time = time ?? TimeProvider.System;
        _logger = logger ?? NullLogger<Compactor>.Instance;
    }

    /// <summary>Compacts the partition of <paramref name="eventDate"/>, or every partition when it is null.</summary>
    public async Task<IReadOnlyList<PartitionCompaction>> CompactAsync(DateOnly? eventDate, CancellationToken cancellationToken)
    {
        if (!Directory.Exists(_store.RootDirectory))
        {
            throw new DatasetNotFoundException(_store.RootDirectory);
        }

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

        using var query = DatasetQuery.Open(_store.RootDirectory);
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

        var list = FileList(inputs.Select(f => _store.GetFullPath(f.RelativePath)));
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
        var tempDirectory = _store.GetFullPath(partition + "/" + DatasetLayout.NewTempName());
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
                _store.PublishLocalFile(output, partition + "/" + DatasetLayout.NewPartFileName("compact", now));
            }

            foreach (var input in inputs)
            {
                try
                {
                    await _store.DeleteAsync(input.RelativePath, cancellationToken).ConfigureAwait(false);
                }
                catch (IOException e)
                {
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
