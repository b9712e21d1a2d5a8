using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using System.Collections.Concurrent;
using Pipeline.Sink.ParquetFormat;

namespace Pipeline.Sink;

/// <summary>
/// Writes the rows of one partition day as one sorted, Zstd-compressed Parquet file (see <see cref="KmsParquetFileWriter"/>) and publishes it atomically:
/// the file is staged under a temporary name and only renamed to <c>part-*.parquet</c> once complete, so a
/// failure or crash never leaves a partial file where queries look.
/// </summary>
internal sealed class ParquetPartitionWriter : IPartitionFileWriter
{
    private readonly IDatasetStore _store;
    private readonly ParquetPartitionWriterOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ConcurrentBag<KmsParquetFileWriter> _fileWriters = [];
    private readonly ConcurrentBag<RowSorter> _sorters = [];

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

        if (!_sorters.TryTake(out var sorter))
        {
            sorter = new RowSorter();
        }

        sorter.Sort(sorted);
        _sorters.Add(sorter);
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

    private Task WriteFileAsync(Stream stream, RowRef[] rows, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var metadata = new KeyValuePair<string, string>[]
        {
            new("pipeline.writer", _options.WriterId),
            new("pipeline.rows", rows.Length.ToString(CultureInfo.InvariantCulture)),
            new("pipeline.created", now.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture)),
        };

        // Encoding is CPU work over memory already held; the staged file is a local file, so writes are synchronous.
        if (!_fileWriters.TryTake(out var writer))
        {
            writer = new KmsParquetFileWriter();
        }

        try
        {
            writer.Write(stream, rows, _options.RowGroupSize, metadata, cancellationToken);
        }
        finally
        {
            _fileWriters.Add(writer);
        }

        return Task.CompletedTask;
    }
}
