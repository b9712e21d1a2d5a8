using Pipeline.Query;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Query;

public sealed class DedupeViewTests : IDisposable
{
    private readonly TempDataset _dataset = new();

    public void Dispose() => _dataset.Dispose();

    [Fact]
    public async Task The_same_event_in_two_files_appears_once_in_kms_events_and_twice_in_kms_events_all()
    {
        var time = TestBatch.Utc(2024, 5, 1, 8);
        await _dataset.WriteAsync(new TestEvent("dup", time) { SrcKey = "first", IngestTime = TestBatch.Utc(2024, 5, 2) }, new TestEvent("solo", time));
        await _dataset.WriteAsync(new TestEvent("dup", time) { SrcKey = "second", IngestTime = TestBatch.Utc(2024, 5, 3) });
        using var query = DatasetQuery.Open(_dataset.Root);

        Assert.Equal(2L, await query.QueryScalarAsync("SELECT count(*) FROM kms_events_all WHERE event_id = $1", CancellationToken.None, "dup"));
        Assert.Equal(1L, await query.QueryScalarAsync("SELECT count(*) FROM kms_events WHERE event_id = $1", CancellationToken.None, "dup"));
        Assert.Equal("first", await query.QueryScalarAsync("SELECT src_key FROM kms_events WHERE event_id = $1", CancellationToken.None, "dup"));
        Assert.Equal(2L, await query.QueryScalarAsync("SELECT count(*) FROM kms_events", CancellationToken.None));
    }

    [Fact]
    public async Task Different_events_that_reuse_an_event_id_are_all_kept()
    {
        // Published CloudTrail samples reuse eventIDs across different events, even at the same time; only a true copy
        // (same id, time, receiving account and operation) is a duplicate.
        var time = TestBatch.Utc(2024, 5, 1, 8);
        await _dataset.WriteAsync(
            new TestEvent("reused", time) { EventName = "DisableKey" },
            new TestEvent("reused", TestBatch.Utc(2024, 5, 1, 9)) { EventName = "DisableKey" },
            new TestEvent("reused", time) { EventName = "ScheduleKeyDeletion" },
            new TestEvent("reused", time) { EventName = "DisableKey", SrcKey = "copy" });
        using var query = DatasetQuery.Open(_dataset.Root);

        Assert.Equal(3L, await query.QueryScalarAsync("SELECT count(*) FROM kms_events WHERE event_id = $1", CancellationToken.None, "reused"));
        Assert.Equal(3L, await query.QueryScalarAsync("SELECT count(*) FROM kms_actions WHERE event_id = $1", CancellationToken.None, "reused"));
    }

    [Theory]
    [InlineData("kms_events")]
    [InlineData("kms_actions")]
    public async Task An_event_date_filter_on_a_view_is_pushed_down_to_the_parquet_scan(string view)
    {
        await _dataset.WriteAsync(new TestEvent("a", TestBatch.Utc(2024, 5, 1)), new TestEvent("b", TestBatch.Utc(2024, 5, 2)), new TestEvent("c", TestBatch.Utc(2024, 5, 3)));
        using var query = DatasetQuery.Open(_dataset.Root);

        var plan = string.Concat((await query.QueryRowsAsync(
            $"EXPLAIN SELECT * FROM {view} WHERE event_date = DATE '2024-05-02'", CancellationToken.None)).Select(r => (string)r[1]!));
        Assert.Contains("File Filters", plan, StringComparison.Ordinal);

        // "1/3", or "1/1" when the files were already pruned while the plan was bound (kms_actions filters its rows
        // below the window too): either way one file of the three is read.
        var scanning = System.Text.RegularExpressions.Regex.Match(plan, @"Scanning Files: (\d+)/(\d+)");
        Assert.True(scanning.Success, plan);
        Assert.Equal("1", scanning.Groups[1].Value);
    }

    [Fact]
    public async Task Views_exist_with_all_columns_and_no_rows_before_the_first_file()
    {
        using var query = DatasetQuery.Open(_dataset.Root);

        Assert.Equal(0L, await query.QueryScalarAsync("SELECT count(*) FROM kms_events", CancellationToken.None));
        var columns = await query.QueryRowsAsync("SELECT column_name, column_type FROM (DESCRIBE kms_events)", CancellationToken.None);
        Assert.Equal(Pipeline.Sink.KmsSchema.Columns.Length + 1, columns.Count);
        Assert.Equal(("event_date", "DATE"), ((string)columns[^1][0]!, (string)columns[^1][1]!));
    }

    [Fact]
    public void A_missing_dataset_directory_is_reported_with_its_path()
    {
        var missing = Path.Combine(_dataset.Root, "nope");

        var e = Assert.Throws<DatasetNotFoundException>(() => DatasetQuery.Open(missing));
        Assert.Contains(missing, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sql_cannot_read_files_outside_the_dataset_or_unlock_the_configuration()
    {
        var outside = Path.Combine(Path.GetTempPath(), "pipeline-outside-" + Guid.NewGuid().ToString("N") + ".csv");
        await File.WriteAllTextAsync(outside, "a\n1\n");
        try
        {
            using var query = DatasetQuery.Open(_dataset.Root);

            var read = await Assert.ThrowsAnyAsync<Exception>(() => query.QueryRowsAsync("SELECT * FROM read_csv(" + DatasetQuery.Literal(outside) + ")", CancellationToken.None));
            Assert.Contains("Permission Error", read.Message, StringComparison.Ordinal);
            await Assert.ThrowsAnyAsync<Exception>(() => query.ExecuteAsync("SET enable_external_access = true", CancellationToken.None));
        }
        finally
        {
            File.Delete(outside);
        }
    }
}
