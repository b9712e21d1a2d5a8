using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Pipeline.Sink;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Sink;

public sealed class DatasetSinkTests : IDisposable
{
    private readonly TempDataset _data = new();

    public void Dispose() => _data.Dispose();

    private static KmsEventBatch Rows(int count, string prefix) =>
        TestBatch.Of(Enumerable.Range(0, count).Select(i => new TestEvent($"{prefix}-{i}", new DateTime(2026, 1, 15, 10, 0, i % 60, DateTimeKind.Utc))).ToArray());

    [Fact]
    public async Task A_source_is_reported_published_only_after_its_file_is_visible()
    {
        var published = new List<PublishedSource>();
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-01-15T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        await using var sink = new DatasetSink(new SinkOptions { FlushAge = TimeSpan.FromMinutes(5) }, _data.Writer(), (p, _) => { lock (published) { published.Add(p); } return Task.CompletedTask; }, time, NullLogger.Instance);

        var completion = await sink.AddAsync("source-1", Rows(10, "a"), [], CancellationToken.None);
        await Task.Delay(200);
        Assert.False(completion.IsCompleted);
        Assert.Empty(_data.ParquetFiles());

        await sink.FlushAsync(CancellationToken.None);
        var result = await completion.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(10, result.Rows);
        Assert.Single(_data.ParquetFiles());
        Assert.Equal(_data.ParquetFiles(), result.Files);
        Assert.Equal("source-1", Assert.Single(published).Identity);
    }

    [Fact]
    public async Task Rows_are_published_when_the_oldest_has_waited_the_flush_age()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-01-15T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        await using var sink = new DatasetSink(new SinkOptions { FlushAge = TimeSpan.FromMinutes(5) }, _data.Writer(), null, time, NullLogger.Instance);
        var completion = await sink.AddAsync("s", Rows(3, "a"), [], CancellationToken.None);

        for (var i = 0; i < 50 && !completion.IsCompleted; i++)
        {
            time.Advance(TimeSpan.FromSeconds(10));
            await Task.Delay(20);
        }

        await completion.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Single(_data.ParquetFiles());
    }

    [Fact]
    public async Task Rows_are_published_once_the_row_threshold_is_reached()
    {
        await using var sink = new DatasetSink(new SinkOptions { FlushRows = 25 }, _data.Writer(), null, TimeProvider.System, NullLogger.Instance);
        var first = await sink.AddAsync("a", Rows(20, "a"), [], CancellationToken.None);
        var second = await sink.AddAsync("b", Rows(20, "b"), [], CancellationToken.None);
        await Task.WhenAll(first, second).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(40, (await first).Rows + (await second).Rows);
    }

    [Fact]
    public async Task Disposing_the_sink_publishes_what_is_buffered()
    {
        Task<PublishedSource> completion;
        await using (var sink = new DatasetSink(new SinkOptions(), _data.Writer(), null, TimeProvider.System, NullLogger.Instance))
        {
            completion = await sink.AddAsync("a", Rows(5, "a"), [], CancellationToken.None);
        }

        Assert.Equal(5, (await completion.WaitAsync(TimeSpan.FromSeconds(5))).Rows);
    }

    [Fact]
    public async Task A_failing_write_fails_the_sources_and_publishes_nothing()
    {
        var store = new FailingDatasetStore(_data.Store, failAfterBytes: 100);
        var writer = new ParquetPartitionWriter(store, new ParquetPartitionWriterOptions { WriterId = "t" });
        await using var sink = new DatasetSink(new SinkOptions(), writer, null, TimeProvider.System, NullLogger.Instance);
        var completion = await sink.AddAsync("a", Rows(5, "a"), [], CancellationToken.None);
        await sink.FlushAsync(CancellationToken.None);
        await Assert.ThrowsAnyAsync<Exception>(() => completion.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Empty(_data.ParquetFiles());
    }
}
