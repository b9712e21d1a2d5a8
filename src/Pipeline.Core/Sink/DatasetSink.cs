using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Pipeline.Diagnostics;

namespace Pipeline.Sink;

/// <summary>
/// Gathers the rows of many source objects and publishes them as few, large, sorted Parquet files per partition day,
/// on whichever comes first of a row, byte or age threshold (the Serilog <c>BatchingSink</c> model: a bounded
/// channel, one writer loop, flush on request and on dispose). A source is reported published only when every file
/// holding its rows has been renamed into place, which is when a queue message may be deleted. Flushes encode in the
/// background, up to <see cref="SinkOptions.MaxConcurrentFlushes"/> at once, while the next rows gather.
/// </summary>
internal sealed partial class DatasetSink : IAsyncDisposable
{
    private readonly SinkOptions _options;
    private readonly IPartitionFileWriter _writer;
    private readonly Func<IReadOnlyList<PublishedSource>, CancellationToken, Task>? _onPublished;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Channel<object> _channel;
    private readonly Task _loop;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<PendingSource> _pending = [];
    private KmsEventBatch? _gathered; // the rows of small sources, copied together (touched only by the loop)
    private long _pendingBytes;
    private long _pendingRows;
    private long _oldestTicks;
    private readonly int _maxFlushes;
    private readonly List<Task> _inFlight = []; // touched only by the loop
    private long _filesPublished;
    private long _bytesPublished;
    private long _rowsPublished;

    /// <param name="onPublished">Called once per flush with every source it published (for the ledger), before their tasks complete.</param>
    public DatasetSink(SinkOptions options, IPartitionFileWriter writer, Func<IReadOnlyList<PublishedSource>, CancellationToken, Task>? onPublished, TimeProvider time, ILogger logger)
    {
        _options = options;
        _writer = writer;
        _onPublished = onPublished;
        _time = time;
        _logger = logger;
        _maxFlushes = options.EffectiveMaxConcurrentFlushes;
        _channel = Channel.CreateBounded<object>(new BoundedChannelOptions(2) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Files published so far.</summary>
    public long FilesPublished => Interlocked.Read(ref _filesPublished);

    /// <summary>Bytes of Parquet published so far.</summary>
    public long BytesPublished => Interlocked.Read(ref _bytesPublished);

    /// <summary>Memory held by the rows waiting for the next flush (as the byte threshold counts it).</summary>
    public long BufferedBytes => Interlocked.Read(ref _pendingBytes);

    /// <summary>Rows published so far.</summary>
    public long RowsPublished => Interlocked.Read(ref _rowsPublished);

    /// <summary>
    /// Hands over a source that was read completely: its remaining in-memory rows and the staged files it spilled.
    /// Waits only for room in the channel (back-pressure); the returned task completes when the rows are published.
    /// </summary>
    public async Task<Task<PublishedSource>> AddAsync(object identity, KmsEventBatch rows, IReadOnlyList<IStagedPartitionFile> staged, CancellationToken cancellationToken)
    {
        var pending = new PendingSource(identity, rows, staged);
        await _channel.Writer.WriteAsync(pending, cancellationToken).ConfigureAwait(false);
        return pending.Completion.Task;
    }

    /// <summary>Publishes everything buffered now.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        var request = new FlushRequest();
        await _channel.Writer.WriteAsync(request, cancellationToken).ConfigureAwait(false);
        await request.Done.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        _channel.Writer.TryComplete();
        try
        {
            await _loop.ConfigureAwait(false);
        }
        finally
        {
            _stop.Dispose();
        }
    }

    /// <summary>
    /// Sources one flush takes at most, whatever their rows. Log files without a KMS record hold almost no bytes, so a
    /// run of them (an account and Region where KMS is not used: thousands of five-minute files) never reached
    /// <see cref="SinkOptions.FlushBytes"/>: one flush gathered 12,444 of them, ~300 MB of RSS for `ingest`, and a ledger
    /// file of 12,444 lines.
    /// </summary>
    internal const int MaxSourcesPerFlush = 2048;

    private async Task RunAsync()
    {
        var reader = _channel.Reader;
        while (true)
        {
            var wait = reader.WaitToReadAsync(_stop.Token).AsTask();
            if (_pending.Count > 0 && !wait.IsCompleted)
            {
                var due = TimeSpan.FromTicks(Math.Max(0, _oldestTicks + _options.FlushAge.Ticks - _time.GetUtcNow().UtcTicks));
                using var delayCts = new CancellationTokenSource();
                var delay = Task.Delay(due, _time, delayCts.Token);
                if (await Task.WhenAny(wait, delay).ConfigureAwait(false) == delay)
                {
                    await FlushPendingAsync("age", wait: true).ConfigureAwait(false);
                    continue;
                }

                await delayCts.CancelAsync().ConfigureAwait(false);
            }

            if (!await wait.ConfigureAwait(false))
            {
                await FlushPendingAsync("shutdown", wait: true).ConfigureAwait(false);
                return;
            }

            while (reader.TryRead(out var item))
            {
                if (item is FlushRequest flush)
                {
                    await FlushPendingAsync("request", wait: true).ConfigureAwait(false);
                    flush.Done.TrySetResult();
                    continue;
                }

                var source = (PendingSource)item;
                if (_pending.Count == 0)
                {
                    _oldestTicks = _time.GetUtcNow().UtcTicks;
                }

                _pending.Add(source);
                Gather(source);
                _pendingRows += source.RowCount;
                if (_pendingBytes >= _options.FlushBytes || _pendingRows >= _options.FlushRows || _pending.Count >= MaxSourcesPerFlush)
                {
                    // Written in the background: the next rows gather (and readers keep going) while this flush encodes.
                    await FlushPendingAsync("size", wait: false).ConfigureAwait(false);
                }
            }
        }
    }

    /// <summary>
    /// Hands the pending sources to a flush. At most <see cref="SinkOptions.MaxConcurrentFlushes"/> flushes run at a
    /// time, so this first waits for room; with <paramref name="wait"/> it also waits for every flush started so far
    /// (age, explicit request, shutdown). Flushes never fault: a failure fails their sources' tasks.
    /// </summary>
    private async Task FlushPendingAsync(string reason, bool wait)
    {
        _inFlight.RemoveAll(static t => t.IsCompleted);
        while (_inFlight.Count >= _maxFlushes)
        {
            await Task.WhenAny(_inFlight).ConfigureAwait(false);
            _inFlight.RemoveAll(static t => t.IsCompleted);
        }

        if (_pending.Count > 0)
        {
            var sources = _pending.ToArray();
            _pending.Clear();
            _gathered = null; // the flush owns it now
            _pendingBytes = 0;
            _pendingRows = 0;
            _inFlight.Add(Task.Run(() => FlushAsync(sources, reason)));
        }

        if (wait)
        {
            await Task.WhenAll(_inFlight).ConfigureAwait(false);
            _inFlight.Clear();
        }
    }

    /// <summary>
    /// A source whose batch holds several times the memory its rows need (a CloudTrail file of a few KMS records keeps a
    /// row block, a text chunk and an interner table, ~70 KB for two rows) has its rows copied into one batch shared
    /// with other such sources, and its own batch goes back to the pool at once. Without this, a run of small files
    /// filled the byte threshold with slack: flushes of ~130 files, and ~260 MB of RSS on 99,214 five-minute files.
    /// </summary>
    private void Gather(PendingSource source)
    {
        var own = source.Batch!;
        if (own.Count > 0 && own.RetainedBytes <= 2 * own.EstimatedBytes)
        {
            _pendingBytes += own.RetainedBytes;
            return;
        }

        if (own.Count > 0)
        {
            _gathered ??= KmsEventBatchPool.Rent();
            var before = _gathered.RetainedBytes;
            source.MoveTo(_gathered, _gathered.AppendRowsOf(own));
            _pendingBytes += _gathered.RetainedBytes - before;
        }
        else
        {
            source.MoveTo(null, 0);
        }

        KmsEventBatchPool.Return(own);
    }

    private async Task FlushAsync(PendingSource[] sources, string reason)
    {
        var started = _time.GetTimestamp();
        var batches = Batches(sources);
        try
        {
            var byDay = RowRef.ByDay(batches);

            // One file per partition day: a source's rows are in the files of their days.
            var fileOfDay = new Dictionary<int, string>();
            long rows = 0;
            foreach (var (day, refs) in byDay)
            {
                var staged = await _writer.WriteStagedAsync(day, refs, CancellationToken.None).ConfigureAwait(false);
                await staged.PublishAsync(CancellationToken.None).ConfigureAwait(false);
                Interlocked.Increment(ref _filesPublished);
                Interlocked.Add(ref _bytesPublished, staged.Bytes);
                rows += staged.Rows;
                fileOfDay[day] = staged.FinalPath;
            }

            var published = new PublishedSource[sources.Length];
            var days = new SortedSet<int>();
            for (var i = 0; i < sources.Length; i++)
            {
                var s = sources[i];
                days.Clear();
                for (var row = s.FirstRow; row < s.FirstRow + s.RowCount; row++)
                {
                    days.Add(s.Batch!.GetEventDay(row));
                }

                var files = days.Select(d => fileOfDay[d]).ToList();
                long spilledRows = 0;
                foreach (var staged in s.Staged)
                {
                    await staged.PublishAsync(CancellationToken.None).ConfigureAwait(false);
                    Interlocked.Increment(ref _filesPublished);
                    Interlocked.Add(ref _bytesPublished, staged.Bytes);
                    spilledRows += staged.Rows;
                    files.Add(staged.FinalPath);
                }

                rows += spilledRows;
                published[i] = new PublishedSource(s.Identity, s.RowCount + spilledRows, files);
            }

            // The ledger markers of the whole flush in one call (one shared file on a local store).
            await NotifyAsync(published).ConfigureAwait(false);

            // Counted before the sources hear of it: whoever awaited them reads totals that include them.
            Interlocked.Add(ref _rowsPublished, rows);
            for (var i = 0; i < sources.Length; i++)
            {
                sources[i].Completion.TrySetResult(published[i]);
            }

            foreach (var batch in batches)
            {
                KmsEventBatchPool.Return(batch);
            }

            LogFlushed(_logger, reason, sources.Length, rows, byDay.Count, _time.GetElapsedTime(started).TotalMilliseconds);
        }
        catch (Exception ex)
        {
            LogFlushFailed(_logger, ex, sources.Length);
            foreach (var s in sources)
            {
                foreach (var staged in s.Staged)
                {
                    await staged.DiscardAsync().ConfigureAwait(false);
                }

                s.Completion.TrySetException(ex);
            }

            foreach (var batch in batches)
            {
                KmsEventBatchPool.Return(batch);
            }
        }
    }

    // Each batch once: gathered sources share one.
    private static List<KmsEventBatch> Batches(PendingSource[] sources)
    {
        var batches = new List<KmsEventBatch>();
        var seen = new HashSet<KmsEventBatch>(ReferenceEqualityComparer.Instance);
        foreach (var s in sources)
        {
            if (s.Batch is { } batch && seen.Add(batch))
            {
                batches.Add(batch);
            }
        }

        return batches;
    }

    private async Task NotifyAsync(PublishedSource[] published)
    {
        try
        {
            if (_onPublished is not null)
            {
                await _onPublished(published, CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (Exception ex)
        {
            // The rows are durable and visible: that is what the sources wait for. The bookkeeping (ledger markers) is
            // a hint; failing the sources here would leave their messages on the queue, and the redelivery would publish
            // the same rows a second time.
            LogBookkeepingFailed(_logger, ex, published.Length, published[0].Identity.ToString() ?? "?");
        }
    }

    [LoggerMessage(EventId = EventIds.Sink + 20, Level = LogLevel.Warning, Message = "Rows of {Sources} sources (the first: {Source}) are published but recording them in the ledger failed; a later duplicate notification would read them again (the kms_events view hides the copies)")]
    private static partial void LogBookkeepingFailed(ILogger logger, Exception exception, int sources, string source);

    [LoggerMessage(EventId = EventIds.Sink + 1, Level = LogLevel.Debug, Message = "Flushed ({Reason}): {Sources} sources, {Rows} rows, {Days} partition days in {ElapsedMs:F0} ms")]
    private static partial void LogFlushed(ILogger logger, string reason, int sources, long rows, int days, double elapsedMs);

    [LoggerMessage(EventId = EventIds.Sink + 2, Level = LogLevel.Error, Message = "Writing Parquet failed; the rows of {Sources} sources were not published and will be read again on retry")]
    private static partial void LogFlushFailed(ILogger logger, Exception exception, int sources);

    private sealed class PendingSource(object identity, KmsEventBatch rows, IReadOnlyList<IStagedPartitionFile> staged)
    {
        public object Identity { get; } = identity;

        /// <summary>The batch holding the source's in-memory rows (null when it has none), shared when gathered.</summary>
        public KmsEventBatch? Batch { get; private set; } = rows;

        /// <summary>The source's first row in <see cref="Batch"/>.</summary>
        public int FirstRow { get; private set; }

        /// <summary>The source's in-memory rows: <see cref="Batch"/> rows from <see cref="FirstRow"/> on.</summary>
        public int RowCount { get; } = rows.Count;

        public void MoveTo(KmsEventBatch? batch, int firstRow)
        {
            Batch = batch;
            FirstRow = firstRow;
        }

        public IReadOnlyList<IStagedPartitionFile> Staged { get; } = staged;

        public TaskCompletionSource<PublishedSource> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private sealed class FlushRequest
    {
        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
