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
        await using var sink = new DatasetSink(new SinkOptions { FlushAge = TimeSpan.FromMinutes(5) }, _data.Writer(), (ps, _) => { lock (published) { published.AddRange(ps); } return Task.CompletedTask; }, time, NullLogger.Instance);

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

    // Found by the load test: the byte threshold counted only the rows' text and cells, so thousands of small CloudTrail
    // files (a few dozen rows each) buffered several times FlushBytes of column arrays, text chunks and interners. Since
    // then such sources are gathered: their rows are copied into one shared batch and their own batches go back at once.
    [Fact]
    public async Task Small_sources_are_gathered_so_the_sink_holds_about_what_their_rows_need()
    {
        var options = new SinkOptions { FlushBytes = 1024 * 1024, FlushAge = TimeSpan.FromMinutes(5) };
        await using var sink = new DatasetSink(options, _data.Writer(), null, TimeProvider.System, NullLogger.Instance);
        var completions = new List<Task<PublishedSource>>();
        long text = 0, held = 0;
        for (var i = 0; i < 100; i++)
        {
            var rows = Rows(1 + (i % 3), $"small{i:D3}");
            text += rows.EstimatedBytes;
            held += rows.RetainedBytes;
            completions.Add(await sink.AddAsync($"s{i}", rows, [], CancellationToken.None));
        }

        // What their batches held is far above the threshold; gathered, the rows are far below it: nothing is flushed yet.
        Assert.True(held > 4 * options.FlushBytes, $"{held} bytes held");
        await Task.Delay(200);
        Assert.DoesNotContain(completions, c => c.IsCompleted);
        Assert.Empty(_data.ParquetFiles());
        Assert.InRange(sink.BufferedBytes, text / 2, options.FlushBytes / 2);

        await sink.FlushAsync(CancellationToken.None);
        var published = await Task.WhenAll(completions).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(Enumerable.Range(0, 100).Select(i => 1L + (i % 3)), published.Select(p => p.Rows));
        Assert.Equal(199, sink.RowsPublished);
        Assert.Single(_data.ParquetFiles());
    }

    // Gathered sources share a batch, so which files hold a source's rows follows its own rows' days, not the batch's.
    [Fact]
    public async Task A_gathered_source_lists_only_the_files_of_its_own_rows_days()
    {
        await using var sink = new DatasetSink(new SinkOptions { FlushAge = TimeSpan.FromMinutes(5) }, _data.Writer(), null, TimeProvider.System, NullLogger.Instance);
        var day1 = new DateTime(2026, 1, 15, 10, 0, 0, DateTimeKind.Utc);
        var day2 = day1.AddDays(1);
        var onlyDay1 = await sink.AddAsync("one", TestBatch.Of(new TestEvent("a1", day1), new TestEvent("a2", day1.AddMinutes(1))), [], CancellationToken.None);
        var onlyDay2 = await sink.AddAsync("two", TestBatch.Of(new TestEvent("b1", day2)), [], CancellationToken.None);
        var both = await sink.AddAsync("three", TestBatch.Of(new TestEvent("c1", day2.AddMinutes(5)), new TestEvent("c2", day1.AddMinutes(5))), [], CancellationToken.None);
        var none = await sink.AddAsync("four", TestBatch.Of(), [], CancellationToken.None);

        await sink.FlushAsync(CancellationToken.None);

        var files = _data.ParquetFiles();
        Assert.Equal(2, files.Length);
        var file1 = Assert.Single(files, f => f.Contains("event_date=2026-01-15", StringComparison.Ordinal));
        var file2 = Assert.Single(files, f => f.Contains("event_date=2026-01-16", StringComparison.Ordinal));
        Assert.Equal([file1], (await onlyDay1).Files);
        Assert.Equal([file2], (await onlyDay2).Files);
        Assert.Equal([file1, file2], (await both).Files);
        Assert.Empty((await none).Files);
        Assert.Equal([2L, 1L, 2L, 0L], new[] { await onlyDay1, await onlyDay2, await both, await none }.Select(p => p.Rows));

        using var query = Pipeline.Query.DatasetQuery.Open(_data.Root);
        var ids = await query.QueryRowsAsync("SELECT event_id, CAST(event_date AS VARCHAR) FROM kms_events ORDER BY 1", CancellationToken.None);
        Assert.Equal(
            ["a1 2026-01-15", "a2 2026-01-15", "b1 2026-01-16", "c1 2026-01-16", "c2 2026-01-15"],
            ids.Select(r => $"{r[0]} {r[1]}"));
    }

    // A source with many rows keeps its own batch (copying would cost without saving memory).
    [Fact]
    public async Task A_large_source_keeps_its_own_batch_and_is_published_with_the_gathered_ones()
    {
        await using var sink = new DatasetSink(new SinkOptions { FlushAge = TimeSpan.FromMinutes(5) }, _data.Writer(), null, TimeProvider.System, NullLogger.Instance);
        var large = Rows(5000, "large");
        Assert.True(large.RetainedBytes <= 2 * large.EstimatedBytes, "a full batch holds little slack");
        var small = await sink.AddAsync("small", Rows(2, "small"), [], CancellationToken.None);
        var big = await sink.AddAsync("large", large, [], CancellationToken.None);
        await Task.Delay(100);
        Assert.True(sink.BufferedBytes >= large.RetainedBytes, $"{sink.BufferedBytes} buffered");

        await sink.FlushAsync(CancellationToken.None);
        Assert.Equal(2, (await small).Rows);
        Assert.Equal(5000, (await big).Rows);
        Assert.Equal(5002, sink.RowsPublished);
    }

    [Fact]
    public void A_cleared_batch_still_accounts_for_the_memory_it_keeps_for_reuse()
    {
        var batch = Rows(40, "reuse");
        var held = batch.RetainedBytes;
        Assert.True(held > batch.EstimatedBytes, $"{held} held, {batch.EstimatedBytes} estimated");

        batch.Clear();
        Assert.Equal(0, batch.Count);
        Assert.True(batch.EstimatedBytes < 1024, "a cleared batch has no rows to spill");
        Assert.Equal(held, batch.RetainedBytes);

        batch.Release();
        Assert.True(batch.RetainedBytes < held, "released text chunks are no longer held");
    }

    // Log files without a KMS record hold no rows and almost no bytes: a run of thousands of them (an account and Region
    // that does not use KMS) must still be flushed, and their ledger markers written, without waiting for FlushAge.
    [Fact]
    public async Task Sources_without_rows_are_flushed_by_count()
    {
        var published = 0;
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-01-15T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        await using var sink = new DatasetSink(new SinkOptions { FlushAge = TimeSpan.FromMinutes(5) }, _data.Writer(), (ps, _) => { Interlocked.Add(ref published, ps.Count); return Task.CompletedTask; }, time, NullLogger.Instance);

        var completions = new List<Task<PublishedSource>>();
        for (var i = 0; i < DatasetSink.MaxSourcesPerFlush; i++)
        {
            completions.Add(await sink.AddAsync($"empty-{i}", Rows(0, "x"), [], CancellationToken.None));
        }

        var done = await Task.WhenAll(completions).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.All(done, p => Assert.Equal(0, p.Rows));
        Assert.Equal(DatasetSink.MaxSourcesPerFlush, published);
        Assert.Empty(_data.ParquetFiles());
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

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task Flushes_by_size_encode_side_by_side_up_to_the_configured_number(int maxFlushes)
    {
        var writer = new GatedWriter(_data.Writer());
        var options = new SinkOptions { FlushRows = 10, FlushAge = TimeSpan.FromMinutes(5), MaxConcurrentFlushes = maxFlushes };
        await using var sink = new DatasetSink(options, writer, null, TimeProvider.System, NullLogger.Instance);

        // Each source fills a flush on its own; the writer holds every flush until the gate opens.
        var completions = new List<Task<PublishedSource>>();
        for (var i = 0; i < 3; i++)
        {
            completions.Add(await sink.AddAsync($"s{i}", Rows(10, $"s{i}"), [], CancellationToken.None));
        }

        await writer.WaitForEnteredAsync(maxFlushes);
        await Task.Delay(200);
        Assert.Equal(maxFlushes, writer.Entered);
        Assert.All(completions, c => Assert.False(c.IsCompleted));

        writer.Open();
        var published = await Task.WhenAll(completions).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.All(published, p => Assert.Equal(10, p.Rows));
        Assert.Equal(maxFlushes, writer.MaxConcurrent);
        Assert.Equal(3, _data.ParquetFiles().Length);
        Assert.Equal(30, sink.RowsPublished);
        Assert.Equal(3, sink.FilesPublished);
    }

    [Fact]
    public async Task An_explicit_flush_waits_for_every_flush_still_encoding()
    {
        var writer = new GatedWriter(_data.Writer());
        var options = new SinkOptions { FlushRows = 10, FlushAge = TimeSpan.FromMinutes(5), MaxConcurrentFlushes = 2 };
        await using var sink = new DatasetSink(options, writer, null, TimeProvider.System, NullLogger.Instance);
        var first = await sink.AddAsync("a", Rows(10, "a"), [], CancellationToken.None);
        var second = await sink.AddAsync("b", Rows(10, "b"), [], CancellationToken.None);
        await writer.WaitForEnteredAsync(2);

        var flush = sink.FlushAsync(CancellationToken.None);
        await Task.Delay(200);
        Assert.False(flush.IsCompleted);

        writer.Open();
        await flush.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(first.IsCompletedSuccessfully && second.IsCompletedSuccessfully);
        Assert.Equal(2, _data.ParquetFiles().Length);
    }

    [Fact]
    public void The_default_number_of_concurrent_flushes_is_half_the_processors_and_at_least_one()
    {
        Assert.Equal(Math.Max(1, Environment.ProcessorCount / 2), new SinkOptions().EffectiveMaxConcurrentFlushes);
        Assert.Equal(3, new SinkOptions { MaxConcurrentFlushes = 3 }.EffectiveMaxConcurrentFlushes);
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

    /// <summary>Holds every write until <see cref="Open"/>; counts the writes that are inside at once.</summary>
    private sealed class GatedWriter(IPartitionFileWriter inner) : IPartitionFileWriter
    {
        private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _inside;
        private int _entered;
        private int _max;

        public int Entered => Volatile.Read(ref _entered);

        public int MaxConcurrent => Volatile.Read(ref _max);

        public void Open() => _gate.TrySetResult();

        public async Task WaitForEnteredAsync(int count)
        {
            for (var i = 0; i < 500 && Entered < count; i++)
            {
                await Task.Delay(10);
            }

            Assert.True(Entered >= count, $"{Entered} of {count} writes started");
        }

        public async Task<IStagedPartitionFile> WriteStagedAsync(int dayNumber, IReadOnlyList<RowRef> rows, CancellationToken cancellationToken)
        {
            var inside = Interlocked.Increment(ref _inside);
            Interlocked.Increment(ref _entered);
            int seen;
            while ((seen = Volatile.Read(ref _max)) < inside && Interlocked.CompareExchange(ref _max, inside, seen) != seen)
            {
            }

            try
            {
                await _gate.Task.WaitAsync(cancellationToken);
                return await inner.WriteStagedAsync(dayNumber, rows, cancellationToken);
            }
            finally
            {
                Interlocked.Decrement(ref _inside);
            }
        }
    }
}
