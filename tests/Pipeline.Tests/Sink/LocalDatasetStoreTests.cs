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

    [Theory]
    [InlineData("_ledger/ab/abcdef.json", true)]
    [InlineData("kms_events/event_date=2026-01-15/part.parquet", true)]
    [InlineData("a", true)]
    [InlineData("...", true)]
    [InlineData("", false)]
    [InlineData("/etc/passwd", false)]
    [InlineData("../escape", false)]
    [InlineData("a/../../escape", false)]
    [InlineData("a/./b", false)]
    [InlineData("a//b", false)]
    [InlineData("a/", false)]
    [InlineData("a\\..\\b", false)]
    [InlineData("c:x", false)]
    public void Only_plain_relative_paths_take_the_join_without_normalising(string path, bool plain) =>
        Assert.Equal(plain, LocalDatasetStore.IsPlainRelative(path));

    [Theory]
    [InlineData("_ledger/ab/abcdef.json")]
    [InlineData("a/./b")]
    [InlineData("a//b/c")]
    [InlineData("x/../y")]
    public void Joined_and_normalised_paths_name_the_same_file(string relative) =>
        Assert.Equal(
            Path.GetFullPath(Path.Combine(_dataset.Root, relative)),
            _dataset.Store.GetFullPath(relative));

    [Fact]
    public async Task Markers_are_linked_again_after_their_folder_was_removed_during_the_run()
    {
        await _dataset.Store.WriteLinesAsync([("_ledger/ab/one.json", "1"), ("_ledger/cd/two.json", "2")], CancellationToken.None);
        System.IO.Directory.Delete(Path.Combine(_dataset.Root, "_ledger", "cd"), recursive: true);

        await _dataset.Store.WriteLinesAsync([("_ledger/ab/three.json", "3"), ("_ledger/cd/four.json", "4")], CancellationToken.None);

        // Its folder gone, the link fails and the marker is written on its own (its line only), making the folder again.
        Assert.Equal("4\n", await _dataset.Store.ReadTextAsync("_ledger/cd/four.json", CancellationToken.None));
        Assert.Equal("3\n4\n", await _dataset.Store.ReadTextAsync("_ledger/ab/three.json", CancellationToken.None));
        Assert.Equal("1\n2\n", await _dataset.Store.ReadTextAsync("_ledger/ab/one.json", CancellationToken.None));
    }

    // Found in review: the shared text is created in the first marker's folder, which the store remembers as made; with
    // that folder removed during the run (an operator clearing _ledger/), the whole flush's markers were lost.
    [Fact]
    public async Task Markers_are_written_after_the_whole_ledger_folder_was_removed_during_the_run()
    {
        await _dataset.Store.WriteLinesAsync([("_ledger/ab/one.json", "1"), ("_ledger/cd/two.json", "2")], CancellationToken.None);
        System.IO.Directory.Delete(Path.Combine(_dataset.Root, "_ledger"), recursive: true);

        await _dataset.Store.WriteLinesAsync([("_ledger/ab/three.json", "3"), ("_ledger/cd/four.json", "4")], CancellationToken.None);

        Assert.Equal("3\n4\n", await _dataset.Store.ReadTextAsync("_ledger/ab/three.json", CancellationToken.None));
        Assert.Equal("4\n", await _dataset.Store.ReadTextAsync("_ledger/cd/four.json", CancellationToken.None));
    }
}
