using System.Text;
using Pipeline.Query;
using Pipeline.Sink;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Sink;

public sealed class LocalDatasetStoreTests : IDisposable
{
    private readonly TempDataset _dataset = new();

    public void Dispose() => _dataset.Dispose();

    [Fact]
    public async Task Committed_file_is_never_visible_half_written()
    {
        const string Directory = "kms_events/event_date=2024-05-01";
        await using var staged = await _dataset.Store.CreateStagedFileAsync(Directory, CancellationToken.None);
        await staged.Stream.WriteAsync(Encoding.ASCII.GetBytes("PAR1"));

        Assert.Empty(_dataset.ParquetFiles());
        Assert.Empty(await _dataset.Store.ListFilesAsync(Directory, ".parquet", CancellationToken.None));
        var temp = Assert.Single(_dataset.AllFiles(), f => f.Contains(DatasetLayout.TempPrefix, StringComparison.Ordinal));
        Assert.False(temp.EndsWith(".parquet", StringComparison.Ordinal));

        var published = await staged.PublishAsync("part-x.parquet", CancellationToken.None);

        Assert.Equal(Directory + "/part-x.parquet", published);
        Assert.Equal([published], _dataset.ParquetFiles());
        Assert.DoesNotContain(_dataset.AllFiles(), f => f.Contains(DatasetLayout.TempPrefix, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Temp_files_are_not_matched_by_the_query_glob()
    {
        await _dataset.WriteAsync(new TestEvent("a", TestBatch.Utc(2024, 5, 1)));
        var staged = await _dataset.Store.CreateStagedFileAsync("kms_events/event_date=2024-05-01", CancellationToken.None);
        await using (staged)
        {
            await staged.Stream.WriteAsync(Encoding.ASCII.GetBytes("garbage that is not parquet"));
            await staged.Stream.FlushAsync();
            using var query = DatasetQuery.Open(_dataset.Root);

            Assert.Equal(1L, await query.QueryScalarAsync("SELECT count(*) FROM kms_events_all", CancellationToken.None));
        }
    }

    [Fact]
    public async Task Publishing_never_replaces_an_existing_file()
    {
        await using (var first = await _dataset.Store.CreateStagedFileAsync("d", CancellationToken.None))
        {
            await first.PublishAsync("f.parquet", CancellationToken.None);
        }

        await using var second = await _dataset.Store.CreateStagedFileAsync("d", CancellationToken.None);
        await Assert.ThrowsAsync<IOException>(() => second.PublishAsync("f.parquet", CancellationToken.None));
    }

    [Fact]
    public async Task Stale_temp_files_are_removed_and_fresh_ones_kept()
    {
        var stale = await _dataset.Store.CreateStagedFileAsync("d", CancellationToken.None);
        await stale.Stream.DisposeAsync();
        var stalePath = Assert.Single(System.IO.Directory.GetFiles(Path.Combine(_dataset.Root, "d")));
        File.SetLastWriteTimeUtc(stalePath, DateTime.UtcNow.AddHours(-2));
        await using var fresh = await _dataset.Store.CreateStagedFileAsync("d", CancellationToken.None);

        Assert.Equal(1, _dataset.Store.CleanupStaleTempFiles(TimeSpan.FromHours(1)));
        Assert.False(File.Exists(stalePath));
        Assert.Single(System.IO.Directory.GetFiles(Path.Combine(_dataset.Root, "d")));
    }

    [Fact]
    public void Paths_outside_the_root_are_refused() =>
        Assert.Throws<ArgumentException>(() => _dataset.Store.GetFullPath("../escape"));
}
