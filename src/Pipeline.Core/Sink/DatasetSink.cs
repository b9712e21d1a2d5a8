using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Pipeline.Diagnostics;

namespace Pipeline.Sink;

/// <summary>
/// Gathers the rows of many source objects and publishes them as few, large, sorted Parquet files per partition day,
/// on whichever comes first of a row, byte or age threshold (after the Serilog <c>BatchingSink</c>: one loop that
/// starts flushes, on size, on age, on request and on dispose). A source is reported published only when every file
/// holding its rows has been renamed into place, which is when a queue message may be deleted. Flushes encode in the
/// background, up to <see cref="SinkOptions.MaxConcurrentFlushes"/> at once, while the next rows gather.
/// </summary>
/// <remarks>
/// A source is added on the caller's thread, under a lock: the loop is woken only when there is something for it to do
/// (the first source after a flush starts the age clock, a threshold was reached, a flush was asked for). Until the
/// twenty-seventh session every source went through a channel to the loop, a thread-pool wake-up per source: on 75,719
/// five-minute files that was ~87,000 involuntary context switches and ~400,000 <c>sched_yield</c> calls of spinning
/// thread-pool workers. While a size flush waits for room (the flushes already running), new sources wait too: that is
/// the back-pressure that bounds the memory held.
/// </remarks>
internal sealed partial class DatasetSink : IAsyncDisposable
{
    private readonly SinkOptions _options;
    private readonly IPartitionFileWriter _writer;
    private readonly Func<IReadOnlyList<PublishedSource>, CancellationToken, Task>? _onPublished;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Channel<object> _channel; // what wakes the loop: SizeDue, AgeClock, FlushRequest
    private readonly Task _loop;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _gate = new(); // guards the pending sources and their counts, taken by adders and the loop
    private readonly List<PendingSource> _pending = [];
    private KmsEventBatch? _gathered; // the rows of small sources, copied together
    private long _pendingBytes;
    private long _pendingRows;
    private long _oldestTicks;
    private readonly Queue<PendingSource[]> _dues = new(); // sources that reached a size threshold, in order, for the loop to flush
    private TaskCompletionSource? _room; // adders waiting while flushes are due: completed when the loop starts one
    private int _addedWhileDue; // sources added while flushes are due: a few more may gather, then adders wait
    private bool _closed;
    private Task? _ageDue; // completes when the oldest pending source is FlushAge old (loop only; one timer per flush, not per source)
    private CancellationTokenSource? _ageCancel;
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
        _channel = Channel.CreateUnbounded<object>(new UnboundedChannelOptions { SingleReader = true });
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
    /// Waits only while a size flush waits for room (back-pressure); the returned task completes when the rows are
    /// published.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The sink is being disposed.</exception>
    public async Task<Task<PublishedSource>> AddAsync(object identity, KmsEventBatch rows, IReadOnlyList<IStagedPartitionFile> staged, CancellationToken cancellationToken)
    {
        var pending = new PendingSource(identity, rows, staged);
        while (true)
        {
            Task? room = null;
            object? wake = null;
            lock (_gate)
            {
                ObjectDisposedException.ThrowIf(_closed, this);
                if (_dues.Count > 0 && _addedWhileDue >= SourcesWhileFlushWaits)
                {
                    _room ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    room = _room.Task;
                }
                else
                {
                    if (_dues.Count > 0)
                    {
                        _addedWhileDue++;
                    }

                    if (_pending.Count == 0)
                    {
                        _oldestTicks = _time.GetUtcNow().UtcTicks;
                        wake = AgeClock.Instance;
                    }

                    _pending.Add(pending);
                    Gather(pending);
                    _pendingRows += pending.RowCount;
                    if (_pendingBytes >= _options.FlushBytes || _pendingRows >= _options.FlushRows || _pending.Count >= MaxSourcesPerFlush)
                    {
                        _dues.Enqueue(TakePending());
                        wake = SizeDue.Instance;
                    }
                }
            }

            if (room is not null)
            {
                await room.WaitAsync(cancellationToken).ConfigureAwait(false);
                continue;
            }

            if (wake is not null)
            {
                _channel.Writer.TryWrite(wake);
            }

            return pending.Completion.Task;
        }
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
        lock (_gate)
        {
            _closed = true; // sources added before this are flushed on the way out
        }

        _channel.Writer.TryComplete();
        try
        {
            await _loop.ConfigureAwait(false);
        }
        finally
        {
            StopAgeTimer();
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
            if (PendingCount > 0 && !wait.IsCompleted)
            {
                // One timer for the sources now pending, kept across the waits for the next source: with thousands of
                // small files a second, a timer made and cancelled per source was a measurable share of the loop.
                if (_ageDue is null)
                {
                    var due = TimeSpan.FromTicks(Math.Max(0, Interlocked.Read(ref _oldestTicks) + _options.FlushAge.Ticks - _time.GetUtcNow().UtcTicks));
                    _ageCancel = new CancellationTokenSource();
                    _ageDue = Task.Delay(due, _time, _ageCancel.Token);
                }

                if (await Task.WhenAny(wait, _ageDue).ConfigureAwait(false) == _ageDue)
                {
                    await FlushPendingAsync("age", wait: true).ConfigureAwait(false);
                    continue;
                }
            }

            if (!await wait.ConfigureAwait(false))
            {
                await FlushPendingAsync("shutdown", wait: true).ConfigureAwait(false);
                return;
            }

            while (reader.TryRead(out var item))
            {
                switch (item)
                {
                    case FlushRequest flush:
                        await FlushPendingAsync("request", wait: true).ConfigureAwait(false);
                        flush.Done.TrySetResult();
                        break;
                    case SizeDue:
                        // Written in the background: the next rows gather (and readers keep going) while this flush
                        // encodes. Nothing left to do when an earlier wake-up or an age flush took the due sources.
                        await FlushDueAsync().ConfigureAwait(false);
                        break;
                    default:
                        // AgeClock: the loop sets the age timer when it next waits.
                        break;
                }
            }
        }
    }

    private int PendingCount
    {
        get
        {
            lock (_gate)
            {
                return _pending.Count;
            }
        }
    }

    /// <summary>
    /// Sources that may still be added while a full flush waits for room, before adders wait too: as many as the
    /// channel that carried every source to the loop used to hold.
    /// </summary>
    private const int SourcesWhileFlushWaits = 2;

    /// <summary>The pending sources, handed to a flush (under the lock): the next ones start afresh.</summary>
    private PendingSource[] TakePending()
    {
        var sources = _pending.ToArray();
        _pending.Clear();
        _gathered = null; // the flush owns it now
        Interlocked.Exchange(ref _pendingBytes, 0);
        _pendingRows = 0;
        return sources;
    }

    /// <summary>Starts the due size flushes in order, each once there is room.</summary>
    private async Task FlushDueAsync()
    {
        while (true)
        {
            await WaitForRoomAsync().ConfigureAwait(false);
            PendingSource[] sources;
            TaskCompletionSource? room;
            lock (_gate)
            {
                if (!_dues.TryDequeue(out sources!))
                {
                    return;
                }

                // One source more may gather per flush started, all of them once nothing is due.
                _addedWhileDue = _dues.Count == 0 ? 0 : Math.Max(0, _addedWhileDue - 1);
                (room, _room) = (_room, null);
            }

            room?.TrySetResult();
            StartFlush(sources, "size");
        }
    }

    private async Task WaitForRoomAsync()
    {
        _inFlight.RemoveAll(static t => t.IsCompleted);
        while (_inFlight.Count >= _maxFlushes)
        {
            await Task.WhenAny(_inFlight).ConfigureAwait(false);
            _inFlight.RemoveAll(static t => t.IsCompleted);
        }
    }

    private void StartFlush(PendingSource[]? sources, string reason)
    {
        if (sources is { Length: > 0 })
        {
            StopAgeTimer(); // the loop sets it again for the sources pending now, if any
            _inFlight.Add(Task.Run(() => FlushAsync(sources, reason)));
        }
    }

    /// <summary>Wakes the loop: a source arrived with none pending, so the age clock starts.</summary>
    private sealed class AgeClock
    {
        public static readonly AgeClock Instance = new();
    }

    /// <summary>Wakes the loop: the pending sources reached a size threshold.</summary>
    private sealed class SizeDue
    {
        public static readonly SizeDue Instance = new();
    }

    private void StopAgeTimer()
    {
        if (_ageCancel is { } cancel)
        {
            cancel.Cancel();
            cancel.Dispose();
        }

        _ageCancel = null;
        _ageDue = null;
    }

    /// <summary>
    /// Hands every source not yet flushed (a due size flush and the ones pending after it) to one flush. At most
    /// <see cref="SinkOptions.MaxConcurrentFlushes"/> flushes run at a time, so this first waits for room; with
    /// <paramref name="wait"/> it also waits for every flush started so far (age, explicit request, shutdown). Flushes
    /// never fault: a failure fails their sources' tasks.
    /// </summary>
    private async Task FlushPendingAsync(string reason, bool wait)
    {
        await WaitForRoomAsync().ConfigureAwait(false);
        PendingSource[] sources;
        TaskCompletionSource? room;
        lock (_gate)
        {
            var all = new List<PendingSource>();
            while (_dues.TryDequeue(out var due))
            {
                all.AddRange(due);
            }

            all.AddRange(TakePending());
            sources = [.. all];
            _addedWhileDue = 0;
            (room, _room) = (_room, null);
        }

        room?.TrySetResult(); // sources waiting to be added go into the next flush
        StartFlush(sources, reason);
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
