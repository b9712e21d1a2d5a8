using Pipeline.Query;
using Pipeline.Sink;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Sink;

public sealed class ParquetPartitionWriterTests : IDisposable
{
    private readonly TempDataset _dataset = new();

    public void Dispose() => _dataset.Dispose();

    [Fact]
    public async Task Written_file_has_exactly_the_schema_columns_with_utc_microsecond_timestamps()
    {
        await _dataset.WriteAsync(new TestEvent("e1", TestBatch.Utc(2024, 5, 1, 10)));
        using var query = DatasetQuery.Open(_dataset.Root);

        var described = await query.QueryRowsAsync("SELECT column_name, column_type FROM (DESCRIBE kms_events_all)", CancellationToken.None);
        var expected = KmsSchema.Columns.Select(c => (c.Name, DatasetQuery.DuckDbType(c.Kind))).Append(("event_date", "DATE"));
        Assert.Equal(expected, described.Select(r => ((string)r[0]!, (string)r[1]!)));

        var file = Path.Combine(_dataset.Root, _dataset.ParquetFiles().Single());
        var logical = await query.QueryRowsAsync(
            "SELECT DISTINCT logical_type FROM parquet_schema(" + DatasetQuery.Literal(file) + ") WHERE name IN ('event_time', 'ingest_time')", CancellationToken.None);
        Assert.Contains("isAdjustedToUTC=1", (string)Assert.Single(logical)[0]!, StringComparison.Ordinal);
        Assert.Contains("MICROS", (string)logical[0][0]!, StringComparison.Ordinal);
        var codecs = await query.QueryRowsAsync("SELECT DISTINCT compression FROM parquet_metadata(" + DatasetQuery.Literal(file) + ")", CancellationToken.None);
        Assert.Equal("ZSTD", (string)Assert.Single(codecs)[0]!);
    }

    [Fact]
    public async Task File_carries_writer_row_count_and_creation_metadata()
    {
        await _dataset.WriteAsync(new TestEvent("e1", TestBatch.Utc(2024, 5, 1)), new TestEvent("e2", TestBatch.Utc(2024, 5, 1)));
        using var query = DatasetQuery.Open(_dataset.Root);
        var file = Path.Combine(_dataset.Root, _dataset.ParquetFiles().Single());

        var rows = await query.QueryRowsAsync(
            "SELECT decode(key), decode(value) FROM parquet_kv_metadata(" + DatasetQuery.Literal(file) + ")", CancellationToken.None);
        var metadata = rows.ToDictionary(r => (string)r[0]!, r => (string)r[1]!);
        Assert.Equal("t1", metadata["pipeline.writer"]);
        Assert.Equal("2", metadata["pipeline.rows"]);
        Assert.True(DateTimeOffset.TryParse(metadata["pipeline.created"], out _));
    }

    [Fact]
    public async Task Rows_of_three_days_go_to_three_partition_directories_read_as_dates()
    {
        var published = await _dataset.WriteAsync(
            new TestEvent("a", TestBatch.Utc(2024, 5, 1, 23, 59, 59, 999_999)),
            new TestEvent("b", TestBatch.Utc(2024, 5, 2)),
            new TestEvent("c", TestBatch.Utc(2024, 5, 3, 12)),
            new TestEvent("d", TestBatch.Utc(2024, 5, 3, 13)));

        Assert.Equal(3, published.Count);
        var directories = _dataset.ParquetFiles().Select(f => f.Split('/')[1]).ToArray();
        Assert.Equal(["event_date=2024-05-01", "event_date=2024-05-02", "event_date=2024-05-03"], directories);
        Assert.All(published, p => Assert.Matches(@"^kms_events/event_date=\d{4}-\d{2}-\d{2}/part-t1-\d{17}-[0-9a-f]{16}\.parquet$", p.RelativePath));

        using var query = DatasetQuery.Open(_dataset.Root);
        var rows = await query.QueryRowsAsync("SELECT event_date, count(*) FROM kms_events GROUP BY ALL ORDER BY 1", CancellationToken.None);
        Assert.Equal([new DateOnly(2024, 5, 1), new DateOnly(2024, 5, 2), new DateOnly(2024, 5, 3)], rows.Select(r => (DateOnly)r[0]!));
        Assert.Equal([1L, 1L, 2L], rows.Select(r => (long)r[1]!));
        Assert.Equal("DATE", await query.QueryScalarAsync("SELECT typeof(event_date) FROM kms_events LIMIT 1", CancellationToken.None));
    }

    [Fact]
    public async Task Rows_within_a_file_are_sorted_by_key_arn_nulls_last_then_event_time()
    {
        await _dataset.WriteAsync(
            new TestEvent("1", TestBatch.Utc(2024, 5, 1, 3)) { KeyArn = "arn:b" },
            new TestEvent("2", TestBatch.Utc(2024, 5, 1, 1)),
            new TestEvent("3", TestBatch.Utc(2024, 5, 1, 2)) { KeyArn = "arn:b" },
            new TestEvent("4", TestBatch.Utc(2024, 5, 1, 9)) { KeyArn = "arn:a" },
            new TestEvent("5", TestBatch.Utc(2024, 5, 1, 0)));
        using var query = DatasetQuery.Open(_dataset.Root);

        // file_row_number is the physical position, so this checks the file order, not an ORDER BY.
        var file = Path.Combine(_dataset.Root, _dataset.ParquetFiles().Single());
        var ids = await query.QueryRowsAsync(
            "SELECT event_id FROM read_parquet(" + DatasetQuery.Literal(file) + ", file_row_number = true) ORDER BY file_row_number", CancellationToken.None);
        Assert.Equal(["4", "3", "1", "5", "2"], ids.Select(r => (string)r[0]!));
    }

    [Fact]
    public async Task Row_groups_hold_at_most_the_configured_number_of_rows()
    {
        var events = Enumerable.Range(0, 25).Select(i => new TestEvent("e" + i, TestBatch.Utc(2024, 5, 1).AddSeconds(i))).ToArray();
        await _dataset.Writer(rowGroupSize: 10).WriteBatchAsync(TestBatch.Of(events), CancellationToken.None);
        using var query = DatasetQuery.Open(_dataset.Root);

        var file = Path.Combine(_dataset.Root, _dataset.ParquetFiles().Single());
        var groups = await query.QueryRowsAsync(
            "SELECT DISTINCT row_group_id, row_group_num_rows FROM parquet_metadata(" + DatasetQuery.Literal(file) + ") ORDER BY 1", CancellationToken.None);
        Assert.Equal([10L, 10L, 5L], groups.Select(r => Convert.ToInt64(r[1], System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Fact]
    public async Task A_write_that_fails_midway_leaves_no_file_under_a_final_name_and_no_temp_file()
    {
        var store = new FailingDatasetStore(_dataset.Store, failAfterBytes: 64);
        var writer = new ParquetPartitionWriter(store, new ParquetPartitionWriterOptions { WriterId = "t1", RowGroupSize = 2 });
        var batch = TestBatch.Of(Enumerable.Range(0, 10).Select(i => new TestEvent("e" + i, TestBatch.Utc(2024, 5, 1))).ToArray());

        await Assert.ThrowsAsync<IOException>(() => writer.WriteBatchAsync(batch, CancellationToken.None));

        Assert.Empty(_dataset.ParquetFiles());
        Assert.DoesNotContain(_dataset.AllFiles(), f => f.Contains(DatasetLayout.TempPrefix, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_write_cancelled_midway_leaves_no_file()
    {
        using var cts = new CancellationTokenSource();
        var store = new FailingDatasetStore(_dataset.Store, failAfterBytes: long.MaxValue, onWrite: cts.Cancel);
        var writer = new ParquetPartitionWriter(store, new ParquetPartitionWriterOptions { WriterId = "t1", RowGroupSize = 2 });
        var batch = TestBatch.Of(Enumerable.Range(0, 10).Select(i => new TestEvent("e" + i, TestBatch.Utc(2024, 5, 1))).ToArray());

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => writer.WriteBatchAsync(batch, cts.Token));

        Assert.Empty(_dataset.ParquetFiles());
        Assert.DoesNotContain(_dataset.AllFiles(), f => f.Contains(DatasetLayout.TempPrefix, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Rows_of_another_day_are_refused()
    {
        var batch = TestBatch.Of(new TestEvent("a", TestBatch.Utc(2024, 5, 1)), new TestEvent("b", TestBatch.Utc(2024, 5, 2)));

        await Assert.ThrowsAsync<ArgumentException>(
            () => _dataset.Writer().WritePartitionAsync(new DateOnly(2024, 5, 1).DayNumber, TestBatch.Rows(batch), CancellationToken.None));
        Assert.Empty(_dataset.ParquetFiles());
    }
}
