using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Parquet;
using Parquet.Schema;

namespace Pipeline.Sink;

/// <summary>
/// Writes the rows of one partition day as one sorted, Zstd-compressed Parquet file and publishes it atomically:
/// the file is staged under a temporary name and only renamed to <c>part-*.parquet</c> once complete, so a
/// failure or crash never leaves a partial file where queries look.
/// </summary>
internal sealed class ParquetPartitionWriter : IPartitionFileWriter
{
    private readonly IDatasetStore _store;
    private readonly ParquetPartitionWriterOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    public ParquetPartitionWriter(IDatasetStore store, ParquetPartitionWriterOptions options, TimeProvider? time = null, ILogger<ParquetPartitionWriter>? logger = null)
    {
        DatasetLayout.ValidateWriterId(options.WriterId);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.RowGroupSize, 1);
        _store = store;
        _options = options;
        _time = time ?? TimeProvider.System;
        _logger = logger ?? NullLogger<ParquetPartitionWriter>.Instance;
    }

    /// <summary>Splits <paramref name="batch"/> by partition day and writes one file per day.</summary>
    public async Task<IReadOnlyList<PublishedFile>> WriteBatchAsync(KmsEventBatch batch, CancellationToken cancellationToken)
    {
        var byDay = RowRef.ByDay([batch]);
        var published = new List<PublishedFile>(byDay.Count);
        foreach (var (day, rows) in byDay)
        {
            published.Add(await WritePartitionAsync(day, rows, cancellationToken).ConfigureAwait(false));
        }

        return published;
    }

    /// <summary>
    /// Writes <paramref name="rows"/>, which must all have partition <paramref name="dayNumber"/>
    /// (<see cref="DateOnly.DayNumber"/>), to a new file and returns it once it is published.
    /// </summary>
    public async Task<PublishedFile> WritePartitionAsync(int dayNumber, IReadOnlyList<RowRef> rows, CancellationToken cancellationToken)
    {
        var staged = await WriteStagedAsync(dayNumber, rows, cancellationToken).ConfigureAwait(false);
        try
        {
            await staged.PublishAsync(cancellationToken).ConfigureAwait(false);
            return new PublishedFile(staged.FinalPath, DateOnly.FromDayNumber(dayNumber), staged.Rows, staged.Bytes);
        }
        catch
        {
            await staged.DiscardAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Writes the rows of one partition day to a complete file under a temporary name; it becomes visible only when
    /// the caller publishes it, so rows of a source that later fails can be thrown away.
    /// </summary>
    public async Task<IStagedPartitionFile> WriteStagedAsync(int dayNumber, IReadOnlyList<RowRef> rows, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfZero(rows.Count, nameof(rows));
        var sorted = new RowRef[rows.Count];
        for (var i = 0; i < sorted.Length; i++)
        {
            var row = rows[i];
            if (row.Batch.GetEventDay(row.Row) != dayNumber)
            {
                throw new ArgumentException($"Row {row.Row} belongs to day {row.Batch.GetEventDay(row.Row)}, not to partition day {dayNumber}.", nameof(rows));
            }

            sorted[i] = row;
        }

        Array.Sort(sorted, RowRefComparer.Instance);
        var eventDate = DateOnly.FromDayNumber(dayNumber);
        var now = _time.GetUtcNow();
        var directory = DatasetLayout.PartitionDirectory(dayNumber);
        var staged = await _store.CreateStagedFileAsync(directory, cancellationToken).ConfigureAwait(false);
        try
        {
            await WriteFileAsync(staged.Stream, sorted, now, cancellationToken).ConfigureAwait(false);
            return new StagedPartitionFile(staged, directory, DatasetLayout.NewPartFileName(_options.WriterId, now), sorted.Length, staged.Stream.Length, _logger);
        }
        catch (Exception e)
        {
            // Disposing the staged file deletes the temporary data; nothing was published.
            await staged.DisposeAsync().ConfigureAwait(false);
            SinkLog.WriteFailed(_logger, eventDate, e);
            throw;
        }
    }

    private async Task WriteFileAsync(Stream stream, RowRef[] rows, DateTimeOffset now, CancellationToken cancellationToken)
    {
        // Parquet.Net defaults to the smallest-size level, which makes zstd the slowest stage of ingestion; level 1 keeps most of the size gain.
        var options = new ParquetOptions
        {
            CompressionMethod = CompressionMethod.Zstd,
            CompressionLevel = System.IO.Compression.CompressionLevel.Fastest,

            // Parquet.Net pools its page buffers without bound unless told otherwise; bound them so memory stays flat.
            MaximumSmallPoolFreeBytes = 8 * 1024 * 1024,
            MaximumLargePoolFreeBytes = 32 * 1024 * 1024,
        };
        var writer = await ParquetWriter.CreateAsync(KmsParquetSchema.Schema, stream, options, append: false, cancellationToken).ConfigureAwait(false);
        await using (writer.ConfigureAwait(false))
        {
            writer.CustomMetadata = new Dictionary<string, string>
            {
                ["pipeline.writer"] = _options.WriterId,
                ["pipeline.rows"] = rows.Length.ToString(CultureInfo.InvariantCulture),
                ["pipeline.created"] = now.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture),
            };

            using var buffers = new ColumnBuffers(Math.Min(_options.RowGroupSize, rows.Length));
            for (var start = 0; start < rows.Length; start += _options.RowGroupSize)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var group = rows.AsMemory(start, Math.Min(_options.RowGroupSize, rows.Length - start));
                using var rowGroup = writer.CreateRowGroup();
                for (var c = 0; c < KmsSchema.Columns.Length; c++)
                {
                    await WriteColumnAsync(rowGroup, KmsSchema.Columns[c], KmsParquetSchema.Fields[c], group, buffers, cancellationToken).ConfigureAwait(false);
                }
            }
        }
    }

    private static Task WriteColumnAsync(
        ParquetRowGroupWriter rowGroup, ColumnSpec column, DataField field, ReadOnlyMemory<RowRef> group, ColumnBuffers buffers, CancellationToken cancellationToken)
    {
        var rows = group.Span;
        var n = rows.Length;
        switch (column.Kind)
        {
            case ColumnKind.String:
                var strings = buffers.Strings;
                for (var i = 0; i < n; i++)
                {
                    // Not written with '??': null converts implicitly to an empty ReadOnlyMemory<char> and would
                    // turn NULL into ''.
                    var value = rows[i].Batch.GetMemory(column.Slot, rows[i].Row);
                    if (value is null && !column.Nullable)
                    {
                        ThrowNull<bool>(column, rows[i]);
                    }

                    strings[i] = value;
                }

                return rowGroup.WriteAsync<ReadOnlyMemory<char>>(field, strings.AsMemory(0, n), null, null, cancellationToken);

            case ColumnKind.Timestamp:
                var timestamps = buffers.Timestamps;
                for (var i = 0; i < n; i++)
                {
                    timestamps[i] = rows[i].Batch.GetTimestamp(column.Slot, rows[i].Row);
                }

                return rowGroup.WriteAsync<DateTime>(field, timestamps.AsMemory(0, n), null, null, cancellationToken);

            case ColumnKind.Boolean:
                var booleans = buffers.Booleans;
                for (var i = 0; i < n; i++)
                {
                    booleans[i] = rows[i].Batch.GetBoolean(column.Slot, rows[i].Row) ?? (column.Nullable ? null : ThrowNull<bool>(column, rows[i]));
                }

                return column.Nullable
                    ? rowGroup.WriteAsync<bool>(field, booleans.AsMemory(0, n), null, null, cancellationToken)
                    : rowGroup.WriteAsync<bool>(field, buffers.NonNull(booleans, n), null, null, cancellationToken);

            case ColumnKind.Int32:
                var ints = buffers.Int32s;
                for (var i = 0; i < n; i++)
                {
                    ints[i] = rows[i].Batch.GetInt32(column.Slot, rows[i].Row) ?? (column.Nullable ? null : ThrowNull<int>(column, rows[i]));
                }

                return column.Nullable
                    ? rowGroup.WriteAsync<int>(field, ints.AsMemory(0, n), null, null, cancellationToken)
                    : rowGroup.WriteAsync<int>(field, buffers.NonNull(ints, n), null, null, cancellationToken);

            default:
                throw new InvalidOperationException($"Unknown column kind {column.Kind}.");
        }
    }

    private static T ThrowNull<T>(ColumnSpec column, RowRef row) =>
        throw new InvalidDataException(
            $"Column '{column.Name}' is not nullable but is null in row {row.Row} (event_id '{row.Batch.GetString(KmsSchema.EventId, row.Row)}').");
}
