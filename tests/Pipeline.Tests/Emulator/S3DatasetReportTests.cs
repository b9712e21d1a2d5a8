using Amazon.S3.Model;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Emulator;

/// <summary><c>pipeline report|query --data s3://…</c>: the daily report and queries over the dataset a worker writes to S3.</summary>
[Collection("emulator")]
public sealed class S3DatasetReportTests(EmulatorFixture emulator) : IDisposable
{
    private static readonly DateOnly Day = new(2026, 1, 15);
    private const string KeyArn = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    private readonly TempDataset _source = new();
    private readonly TempDataset _work = new();

    public void Dispose()
    {
        _source.Dispose();
        _work.Dispose();
    }

    [Fact]
    public async Task A_report_copies_the_days_it_reads_keeps_them_between_runs_and_drops_files_gone_from_s3()
    {
        // Ten days of Decrypts, a deletion scheduled on the report day, and a day long before any window.
        for (var d = 1; d <= 15; d++)
        {
            await _source.WriteAsync(new TestEvent($"e{d}", TestBatch.Utc(2026, 1, d, 12)) { KeyArn = KeyArn });
        }

        await _source.WriteAsync(new TestEvent("del", TestBatch.Utc(2026, 1, 15, 13)) { EventName = "ScheduleKeyDeletion", KeyArn = KeyArn, PendingWindowDays = 7, ReadOnly = false });
        await _source.WriteAsync(new TestEvent("old", TestBatch.Utc(2025, 1, 1, 12)) { KeyArn = KeyArn });
        using var s3 = emulator.CreateS3Client();
        var bucket = emulator.UniqueName("lake");
        await s3.PutBucketAsync(bucket);
        foreach (var file in _source.ParquetFiles())
        {
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "kms/" + file, FilePath = Path.Combine(_source.Root, file) });
        }

        var cache = Path.Combine(_work.Root, "cache");
        var first = await ReportAsync(bucket, cache);

        Assert.True(first.ExitCode == 0, first.Output);
        Assert.Contains("15 days: 16 files downloaded", first.Output, StringComparison.Ordinal); // the deletion in a file of its own
        Assert.Contains("key_deletion_scheduled", first.Output, StringComparison.Ordinal);
        var copied = Directory.GetFiles(Path.Combine(cache, "kms_events"), "*.parquet", SearchOption.AllDirectories);
        Assert.Equal(16, copied.Length);
        Assert.DoesNotContain(copied, f => f.Contains("event_date=2025-01-01", StringComparison.Ordinal));

        var second = await ReportAsync(bucket, cache);
        Assert.True(second.ExitCode == 0, second.Output);
        Assert.Contains("0 files downloaded (0.0 MB), 16 up to date, 0 removed", second.Output, StringComparison.Ordinal);

        // A compaction in S3 replaces files: the copy must not keep the old ones next to the new.
        var merged = _source.ParquetFiles().First(f => f.Contains("event_date=2026-01-14", StringComparison.Ordinal));
        await s3.DeleteObjectAsync(bucket, "kms/" + merged);
        var third = await ReportAsync(bucket, cache);
        Assert.True(third.ExitCode == 0, third.Output);
        Assert.Contains("1 removed", third.Output, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(cache, merged)));
    }

    [Fact]
    public async Task A_missing_bucket_is_an_error_that_names_it()
    {
        var result = await ReportAsync(emulator.UniqueName("absent"), Path.Combine(_work.Root, "cache"));

        Assert.Equal(2, result.ExitCode); // like a local dataset folder that does not exist
        Assert.Contains("NoSuchBucket", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_mistyped_prefix_is_an_error_not_a_quiet_report_and_a_range_without_data_says_which_days_there_are()
    {
        // `report --fail-on high` on a prefix holding nothing would otherwise pass every day.
        await _source.WriteAsync(new TestEvent("a", TestBatch.Utc(2026, 1, 2, 12)));
        var bucket = await UploadSourceAsync();

        var (exit, stdout, stderr) = await RunAsync(
            "report", "--data", $"s3://{bucket}/kmz", "--cache", Path.Combine(_work.Root, "cache-typo"), "--date", "2026-01-02",
            "--out", Path.Combine(_work.Root, "report"), "--fail-on", "high", "--s3-force-path-style");
        Assert.True(exit == 2, stdout + stderr);
        Assert.Contains($"nothing under s3://{bucket}/kmz/kms_events/", stderr, StringComparison.Ordinal);

        (exit, stdout, stderr) = await RunAsync(
            "query", "select count(*) from kms_events_all", "--data", $"s3://{bucket}/kms", "--days", "30",
            "--cache", Path.Combine(_work.Root, "cache"), "--format", "csv", "--s3-force-path-style");
        Assert.True(exit == 0, stdout + stderr);
        Assert.Contains("note: the dataset has 1 day (2026-01-02 – 2026-01-02), none of them in", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Compacting_an_s3_dataset_merges_each_days_small_files_into_one_without_duplicates()
    {
        // Workers publish a file per flush and per day: three for 01-02 (one event delivered twice), one for 01-03.
        await _source.WriteAsync(new TestEvent("a", TestBatch.Utc(2026, 1, 2, 10)), new TestEvent("b", TestBatch.Utc(2026, 1, 2, 11)));
        await _source.WriteAsync(new TestEvent("c", TestBatch.Utc(2026, 1, 2, 12)));
        await _source.WriteAsync(new TestEvent("c", TestBatch.Utc(2026, 1, 2, 12)), new TestEvent("d", TestBatch.Utc(2026, 1, 3, 9)));
        var bucket = await UploadSourceAsync();
        using var s3 = emulator.CreateS3Client();
        async Task<List<string>> KeysAsync(string day) =>
            (await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket, Prefix = $"kms/kms_events/event_date={day}/" })).S3Objects.Select(o => o.Key).ToList();
        Assert.Equal(3, (await KeysAsync("2026-01-02")).Count);

        var (exit, stdout, stderr) = await RunAsync("compact", "--data", $"s3://{bucket}/kms", "--all", "--s3-force-path-style");

        Assert.True(exit == 0, stdout + stderr);
        Assert.Contains("event_date=2026-01-02: files 3 -> 1, rows 4 -> 3 (1 duplicate removed)", stdout, StringComparison.Ordinal);
        Assert.Contains("event_date=2026-01-03: skipped, files 1 -> 1", stdout, StringComparison.Ordinal);
        var merged = Assert.Single(await KeysAsync("2026-01-02"));
        Assert.Contains("/" + Pipeline.Sink.DatasetLayout.CompactedPrefix, merged, StringComparison.Ordinal);

        (exit, stdout, stderr) = await RunAsync(
            "query", "select event_id from kms_events_all order by 1", "--data", $"s3://{bucket}/kms", "--days", "100000",
            "--cache", Path.Combine(_work.Root, "cache"), "--format", "csv", "--s3-force-path-style");
        Assert.True(exit == 0, stdout + stderr);
        Assert.Equal("event_id\na\nb\nc\nd\n", stdout.ReplaceLineEndings("\n"));

        (exit, _, stderr) = await RunAsync("compact", "--data", $"s3://{bucket}/kmz", "--all", "--s3-force-path-style");
        Assert.True(exit == 2, stderr);
        Assert.Contains("no dataset there", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_query_of_an_s3_dataset_copies_the_days_asked_for_and_keeps_its_result_on_stdout()
    {
        await _source.WriteAsync(new TestEvent("a", TestBatch.Utc(2026, 1, 2, 12)), new TestEvent("b", TestBatch.Utc(2026, 1, 3, 12)));
        await _source.WriteAsync(new TestEvent("too-old", TestBatch.Utc(2025, 1, 1, 12)));
        var bucket = await UploadSourceAsync();

        var days = DateOnly.FromDateTime(DateTime.UtcNow).DayNumber - new DateOnly(2026, 1, 1).DayNumber;
        var (exit, stdout, stderr) = await RunAsync(
            "query", "select event_id from kms_events_all order by 1", "--data", $"s3://{bucket}/kms", "--days", days.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--cache", Path.Combine(_work.Root, "cache"), "--format", "csv", "--s3-force-path-style");

        Assert.True(exit == 0, stdout + stderr);
        Assert.Equal("event_id\na\nb\n", stdout.ReplaceLineEndings("\n"));
        Assert.Contains("2 days: 2 files downloaded", stderr, StringComparison.Ordinal);
    }

    /// <summary>A new bucket holding the source dataset's files under <c>kms/</c>; returns its name.</summary>
    private async Task<string> UploadSourceAsync()
    {
        using var s3 = emulator.CreateS3Client();
        var bucket = emulator.UniqueName("lake");
        await s3.PutBucketAsync(bucket);
        foreach (var file in _source.ParquetFiles())
        {
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "kms/" + file, FilePath = Path.Combine(_source.Root, file) });
        }

        return bucket;
    }

    private async Task<(int ExitCode, string Output)> ReportAsync(string bucket, string cache)
    {
        var (exit, stdout, stderr) = await RunAsync(
            "report", "--data", $"s3://{bucket}/kms", "--cache", cache, "--date", Day.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
            "--out", Path.Combine(_work.Root, "report"), "--s3-force-path-style");
        return (exit, stdout + stderr);
    }

    private Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(params string[] args) =>
        PipelineProcess.RunAsync(args, emulator.AwsEnvironment(), TimeSpan.FromMinutes(2));
}
