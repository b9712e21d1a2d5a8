using Pipeline.Query;
using Pipeline.Sink;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Sink;

public sealed class CompactorTests : IDisposable
{
    private readonly TempDataset _dataset = new();

    public void Dispose() => _dataset.Dispose();

    [Fact]
    public async Task Small_files_of_a_day_become_one_file_without_duplicates_or_lost_rows()
    {
        var day = TestBatch.Utc(2024, 5, 1);
        for (var f = 0; f < 4; f++)
        {
            await _dataset.WriteAsync(Enumerable.Range(f * 10, 10).Select(i => new TestEvent("e" + i, day.AddMinutes(i)) { KeyArn = i % 3 == 0 ? null : "arn:k" + (i % 3) }).ToArray());
        }

        await _dataset.WriteAsync(new TestEvent("e5", day.AddMinutes(5)) { SrcKey = "later", IngestTime = TestBatch.Utc(2025, 1, 1) });
        await _dataset.WriteAsync(new TestEvent("other", TestBatch.Utc(2024, 5, 2)));
        await _dataset.WriteAsync(new TestEvent("other2", TestBatch.Utc(2024, 5, 2)));
        var otherDay = _dataset.ParquetFiles().Where(f => f.Contains("2024-05-02", StringComparison.Ordinal)).ToArray();
        var before = await EventIdsAsync("kms_events");

        var (exit, output, error) = await CliRunner.RunAsync("compact", "--data", _dataset.Root, "--date", "2024-05-01");

        Assert.True(exit == 0, error);
        Assert.Contains("event_date=2024-05-01: files 5 -> 1, rows 41 -> 40 (1 duplicate removed)", output, StringComparison.Ordinal);
        var dayFiles = _dataset.ParquetFiles().Where(f => f.Contains("2024-05-01", StringComparison.Ordinal)).ToArray();
        Assert.Matches(@"/part-compact-\d{17}-[0-9a-f]{16}\.parquet$", Assert.Single(dayFiles));
        Assert.Equal(otherDay, _dataset.ParquetFiles().Where(f => f.Contains("2024-05-02", StringComparison.Ordinal)));
        Assert.Equal(before, await EventIdsAsync("kms_events"));
        Assert.Equal(before, await EventIdsAsync("kms_events_all"));
        using var query = DatasetQuery.Open(_dataset.Root);
        Assert.Equal("AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/01/a.json.gz", await query.QueryScalarAsync("SELECT src_key FROM kms_events WHERE event_id = 'e5'", CancellationToken.None));
    }

    [Fact]
    public async Task Compacted_files_keep_the_schema_timestamps_and_sort_order_and_union_with_writer_files()
    {
        var time = TestBatch.Utc(2024, 5, 1, 1, 2, 3, 456_789);
        await _dataset.WriteAsync(new TestEvent("b", time) { KeyArn = "arn:b" }, new TestEvent("n", time));
        await _dataset.WriteAsync(new TestEvent("a", time.AddSeconds(1)) { KeyArn = "arn:a" });
        using (var before = DatasetQuery.Open(_dataset.Root))
        {
            Assert.Equal(time, await before.QueryScalarAsync("SELECT event_time FROM kms_events WHERE event_id = 'b'", CancellationToken.None));
        }

        var results = await new Compactor(_dataset.Store).CompactAsync(null, CancellationToken.None);
        Assert.False(Assert.Single(results).Skipped);
        await _dataset.WriteAsync(new TestEvent("c", time) { KeyArn = "arn:c" });

        using var query = DatasetQuery.Open(_dataset.Root);
        var compacted = Path.Combine(_dataset.Root, _dataset.ParquetFiles().Single(f => f.Contains("part-compact-", StringComparison.Ordinal)));
        var described = await query.QueryRowsAsync("SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet(" + DatasetQuery.Literal(compacted) + ", hive_partitioning = false))", CancellationToken.None);
        Assert.Equal(KmsSchema.Columns.Select(c => (c.Name, DatasetQuery.DuckDbType(c.Kind))), described.Select(r => ((string)r[0]!, (string)r[1]!)));
        var order = await query.QueryRowsAsync(
            "SELECT event_id FROM read_parquet(" + DatasetQuery.Literal(compacted) + ", file_row_number = true) ORDER BY file_row_number", CancellationToken.None);
        Assert.Equal(["a", "b", "n"], order.Select(r => (string)r[0]!));
        Assert.Equal(time, await query.QueryScalarAsync("SELECT event_time FROM kms_events WHERE event_id = 'b'", CancellationToken.None));
        Assert.Equal(4L, await query.QueryScalarAsync("SELECT count(*) FROM kms_events WHERE event_date = DATE '2024-05-01'", CancellationToken.None));
    }

    [Fact]
    public async Task Running_compact_twice_is_a_no_op()
    {
        await _dataset.WriteAsync(new TestEvent("a", TestBatch.Utc(2024, 5, 1)));
        await _dataset.WriteAsync(new TestEvent("b", TestBatch.Utc(2024, 5, 1)));
        var compactor = new Compactor(_dataset.Store);
        await compactor.CompactAsync(null, CancellationToken.None);
        var after = _dataset.ParquetFiles();

        var second = await compactor.CompactAsync(null, CancellationToken.None);

        Assert.True(Assert.Single(second).Skipped);
        Assert.Equal(after, _dataset.ParquetFiles());
    }

    [Fact]
    public async Task A_single_file_that_holds_both_deliveries_of_an_event_is_rewritten_without_the_duplicate()
    {
        // One flush can take both copies of a duplicate delivery (two log files of one run): one file, two rows.
        var time = TestBatch.Utc(2024, 9, 11, 8, 0, 0);
        await _dataset.WriteAsync(
            new TestEvent("dup", time) { SrcKey = "first.json.gz" },
            new TestEvent("dup", time) { SrcKey = "second.json.gz" },
            new TestEvent("single", time));
        Assert.Single(_dataset.ParquetFiles());

        var result = Assert.Single(await new Compactor(_dataset.Store).CompactAsync(null, CancellationToken.None));

        Assert.False(result.Skipped);
        Assert.Equal((1, 1, 3L, 2L), (result.FilesBefore, result.FilesAfter, result.RowsBefore, result.RowsAfter));
        using (var query = DatasetQuery.Open(_dataset.Root))
        {
            var rows = await query.QueryRowsAsync("SELECT event_id FROM kms_events_all ORDER BY 1", CancellationToken.None);
            Assert.Equal(["dup", "single"], rows.Select(r => (string)r[0]!));
        }

        Assert.True(Assert.Single(await new Compactor(_dataset.Store).CompactAsync(null, CancellationToken.None)).Skipped);
    }

    [Fact]
    public async Task A_crash_between_publish_and_delete_leaves_duplicates_that_the_view_hides_and_a_rerun_removes()
    {
        await _dataset.WriteAsync(new TestEvent("a", TestBatch.Utc(2024, 5, 1)), new TestEvent("b", TestBatch.Utc(2024, 5, 1)));
        await _dataset.WriteAsync(new TestEvent("c", TestBatch.Utc(2024, 5, 1)));
        var saved = _dataset.ParquetFiles().ToDictionary(f => f, f => File.ReadAllBytes(Path.Combine(_dataset.Root, f)));
        await new Compactor(_dataset.Store).CompactAsync(null, CancellationToken.None);

        // Simulate the crash: the inputs come back next to the published output.
        foreach (var (path, bytes) in saved)
        {
            await File.WriteAllBytesAsync(Path.Combine(_dataset.Root, path), bytes);
        }

        using (var query = DatasetQuery.Open(_dataset.Root))
        {
            Assert.Equal(6L, await query.QueryScalarAsync("SELECT count(*) FROM kms_events_all", CancellationToken.None));
            Assert.Equal(3L, await query.QueryScalarAsync("SELECT count(*) FROM kms_events", CancellationToken.None));
        }

        var rerun = Assert.Single(await new Compactor(_dataset.Store).CompactAsync(null, CancellationToken.None));

        Assert.Equal((3, 1, 6L, 3L), (rerun.FilesBefore, rerun.FilesAfter, rerun.RowsBefore, rerun.RowsAfter));
        Assert.Single(_dataset.ParquetFiles());
    }

    [Fact]
    public async Task Compact_of_a_missing_dataset_or_with_bad_arguments_exits_2()
    {
        // Exit 2 is "bad arguments or a missing input, nothing done", as for every other command (it was 1 here).
        Assert.Equal(2, (await CliRunner.RunAsync("compact", "--data", Path.Combine(_dataset.Root, "missing"), "--all")).ExitCode);
        Assert.Equal(2, (await CliRunner.RunAsync("compact", "--data", _dataset.Root)).ExitCode);
        Assert.Equal(2, (await CliRunner.RunAsync("compact", "--data", _dataset.Root, "--all", "--date", "2024-05-01")).ExitCode);
        Assert.Equal(2, (await CliRunner.RunAsync("compact", "--data", _dataset.Root, "--date", "2024-13-01")).ExitCode);
        Assert.Equal(2, (await CliRunner.RunAsync("compact", "--data", _dataset.Root, "--all", "--target-file-mb", "0")).ExitCode);
    }

    private async Task<string[]> EventIdsAsync(string view)
    {
        using var query = DatasetQuery.Open(_dataset.Root);
        var rows = await query.QueryRowsAsync("SELECT DISTINCT event_id FROM " + view + " ORDER BY 1", CancellationToken.None);
        return rows.Select(r => (string)r[0]!).ToArray();
    }
}
