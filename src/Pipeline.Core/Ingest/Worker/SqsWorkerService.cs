using System.Collections.Concurrent;
using Amazon.SQS;
using Amazon.SQS.Model;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Pipeline.Ingest.Notifications;
using Pipeline.Sink;

namespace Pipeline.Ingest.Worker;

/// <summary>
/// The long-running SQS consumer. It receives only as many messages as it has free slots (at most 10 per call),
/// reads each message's objects into the shared sink, and deletes a message only when every row from its objects is
/// published. A slot is freed as soon as a message's objects are read, so waiting for a flush never stops intake;
/// the heartbeat keeps such messages invisible until they are deleted (in batches, by <see cref="MessageDeleter"/>).
/// Many workers can share one queue.
/// </summary>
internal sealed class SqsWorkerService : BackgroundService
{
    /// <summary>How much longer than its long poll a receive may take before it counts as retried (see the idle stop).</summary>
    private static readonly TimeSpan SlowReceiveMargin = TimeSpan.FromSeconds(1);

    /// <summary>How long a receive in flight at a stop request may still take before it is cancelled as an idle long poll.</summary>
    private static readonly TimeSpan StopPollGrace = TimeSpan.FromSeconds(2);

    private readonly IAmazonSQS _sqs;
    private readonly WorkerOptions _options;
    private readonly S3ObjectIngestor _ingestor;
    private readonly DatasetSink _sink;
    private readonly IDatasetStore _store;
    private readonly BucketAllowList _allowList;
    private readonly InFlightTracker _tracker;
    private readonly VisibilityHeartbeat _heartbeat;
    private readonly MessageDeleter _deleter;
    private readonly WorkerProgress _progress;
    private readonly WorkerMetrics _metrics;
    private readonly WorkerHealth _health;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly IHostApplicationLifetime _lifetime;
    private readonly SemaphoreSlim _slots;
    private readonly ConcurrentDictionary<Task, byte> _handlers = new();
    private readonly CancellationTokenSource _readCancel = new();
    private int _received; // messages taken from the queue since start, for Worker:StopAfterMessages
    private int _outputFailures;
    private Exception? _lastOutputFailure;
    private long _outputBlockedUntilTicks;
    private long _lastReturned; // when a message was last returned to the queue (a timestamp), 0 if never

    public SqsWorkerService(
        IAmazonSQS sqs,
        IOptions<WorkerOptions> options,
        S3ObjectIngestor ingestor,
        DatasetSink sink,
        IDatasetStore store,
        InFlightTracker tracker,
        WorkerMetrics metrics,
        WorkerHealth health,
        TimeProvider time,
        ILogger<SqsWorkerService> logger,
        IHostApplicationLifetime lifetime)
    {
        _sqs = sqs;
        _options = options.Value;
        _ingestor = ingestor;
        _sink = sink;
        _store = store;
        _allowList = new BucketAllowList(_options.AllowedBuckets);
        _tracker = tracker;
        _metrics = metrics;
        _health = health;
        _time = time;
        _logger = logger;
        _lifetime = lifetime;
        _slots = new SemaphoreSlim(_options.MaxConcurrentMessages, _options.MaxConcurrentMessages);
        _heartbeat = new VisibilityHeartbeat(sqs, _options, tracker, metrics, time, logger);
        _deleter = new MessageDeleter(sqs, _options, tracker, metrics, time, logger);
        _progress = new WorkerProgress(_options, tracker, metrics, time, logger);
    }

    /// <summary>Exit code the host should end with (non-zero after a fatal configuration error).</summary>
    public int ExitCode { get; private set; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        WorkerLog.Started(_logger, _options.WriterId, _options.QueueUrl, _options.Output, _options.MaxConcurrentMessages);
        _health.Progressed(_time.GetUtcNow().UtcDateTime); // a first receive that never returns is a stall too
        // The heartbeat and the progress line run until the drain is over: it still holds messages and still deletes.
        using var backgroundStop = new CancellationTokenSource();
        var heartbeat = _heartbeat.RunAsync(backgroundStop.Token);
        var progress = _progress.RunAsync(backgroundStop.Token);
        var sweeps = new TempFileSweeper(_store, _time, _logger).RunAsync(backgroundStop.Token);
        var deletes = _deleter.RunAsync();
        try
        {
            if (await CheckOutputAtStartAsync(stoppingToken).ConfigureAwait(false))
            {
                await ReceiveLoopAsync(stoppingToken).ConfigureAwait(false);
            }
        }
        finally
        {
            await DrainAsync(deletes).ConfigureAwait(false);
            await backgroundStop.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(heartbeat, progress, sweeps).ConfigureAwait(false);
        }
    }

    private async Task ReceiveLoopAsync(CancellationToken stoppingToken)
    {
        var failures = 0;
        var idleSince = _time.GetTimestamp();
        while (!stoppingToken.IsCancellationRequested)
        {
            // Stop after taking that many messages, as on SIGTERM: the drain finishes them (flushing at once, not after
            // Sink:FlushAge) and deletes them, and no further message is taken.
            var remaining = _options.StopAfterMessages > 0 ? _options.StopAfterMessages - _received : int.MaxValue;
            if (remaining <= 0)
            {
                _lifetime.StopApplication();
                return;
            }

            try
            {
                // While the output cannot be written, take no messages until the back-off passes, then probe with one.
                var blockedFor = TimeSpan.FromTicks(Interlocked.Read(ref _outputBlockedUntilTicks) - _time.GetUtcNow().UtcTicks);
                if (blockedFor > TimeSpan.Zero)
                {
                    await Task.Delay(blockedFor, _time, stoppingToken).ConfigureAwait(false);
                }

                // Then check the output itself before taking a message: a message received only to fail again uses up
                // one of its receives, and a long outage would walk good messages into the dead-letter queue.
                if (Volatile.Read(ref _outputFailures) > 0 && !await OutputWritableAsync(stoppingToken).ConfigureAwait(false))
                {
                    continue;
                }

                await _slots.WaitAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            // Ask only for what can be processed now: one slot is held, take any others that are free.
            var held = 1;
            while (held < Math.Min(_options.MaxMessagesPerReceive, remaining) && Volatile.Read(ref _outputFailures) == 0 && _slots.Wait(0, CancellationToken.None))
            {
                held++;
            }

            ReceiveMessageResponse response;
            var polled = _time.GetTimestamp();
            try
            {
                // A stop request ends a long poll that is still waiting after StopPollGrace: waiting it out (up to
                // WaitTimeSeconds) before draining would take most of an orchestrator's stop timeout (Docker's 10 s,
                // Kubernetes' 30 s) before the grace period even starts. Not at once: a receive that finds messages
                // returns within a round trip, and aborting it could lose a response that SQS already handed out
                // (those messages would stay invisible until their timeout); a poll still waiting after that grace found
                // the queue empty. A response that arrives after the stop request is released at once.
                using var pollCancel = new CancellationTokenSource();
                using var onStop = stoppingToken.Register(static state => ((CancellationTokenSource)state!).CancelAfter(StopPollGrace), pollCancel);
                response = await _sqs.ReceiveMessageAsync(
                    new ReceiveMessageRequest
                    {
                        QueueUrl = _options.QueueUrl,
                        MaxNumberOfMessages = held,
                        WaitTimeSeconds = _options.WaitTimeSeconds,
                        VisibilityTimeout = (int)_options.VisibilityTimeout.TotalSeconds,
                        MessageSystemAttributeNames = ["ApproximateReceiveCount", "SentTimestamp"],
                    },
                    pollCancel.Token).ConfigureAwait(false);
                failures = 0;
                _health.ReceiveSucceeded(_time.GetUtcNow().UtcDateTime);
                if (stoppingToken.IsCancellationRequested)
                {
                    await ReleaseAsync(response.Messages ?? []).ConfigureAwait(false);
                    _slots.Release(held);
                    return;
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                _slots.Release(held);
                return;
            }
            catch (Exception e) when (AwsErrors.IsFatal(e))
            {
                _slots.Release(held);
                var problem = AwsErrors.IsMissingQueue(e)
                    ? $"{WorkerOptions.Section}:QueueUrl '{_options.QueueUrl}' names no queue: {AwsErrors.Describe(e)}; fix the URL (account, region and name) or create the queue"
                    : $"the queue {_options.QueueUrl} refuses the worker: {AwsErrors.Describe(e)}; check the worker's credentials and its IAM permissions on the queue (README, IAM permissions)";
                WorkerLog.Fatal(_logger, problem);
                _health.Set(WorkerState.Failed, problem);
                ExitCode = 3;
                _lifetime.StopApplication();
                return;
            }
            catch (Exception e)
            {
                _slots.Release(held);

                // A failing receive saw nothing of the queue: it is not idleness, and counting it as such would let
                // the first empty answer after an outage stop the worker while messages lost in that outage (handed
                // out in a response that never arrived) are still due to reappear.
                idleSince = _time.GetTimestamp();
                var delay = AwsErrors.Backoff(failures++, _options.MaxBackoff);
                _health.Set(WorkerState.Degraded, "receive failing: " + AwsErrors.Describe(e));
                WorkerLog.ReceiveFailed(_logger, AwsErrors.Describe(e), delay.TotalMilliseconds);
                try
                {
                    await Task.Delay(delay, _time, stoppingToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                continue;
            }

            var messages = response.Messages ?? [];
            if (messages.Count < held)
            {
                _slots.Release(held - messages.Count);
            }

            if (messages.Count == 0)
            {
                // A receive much slower than its long poll was retried inside the SDK; an attempt that failed may have had
                // messages handed out in a response that never arrived. Like a failed receive, it is not idle time.
                if (_time.GetElapsedTime(polled) > TimeSpan.FromSeconds(_options.WaitTimeSeconds) + SlowReceiveMargin)
                {
                    idleSince = _time.GetTimestamp();
                }

                // Idle long enough and nothing is being read: stop. Messages whose rows only wait for a flush do not
                // hold the worker up (with the default 5-minute flush age they would for minutes): the drain flushes
                // them and deletes their messages on the way out.
                // A delete given up, or a message returned (its rows could not be written, its object failed), comes back
                // after its visibility timeout: idle from then on.
                var idleFrom = Math.Max(idleSince, Math.Max(_deleter.LastGaveUpTimestamp, Volatile.Read(ref _lastReturned)));
                if (_options.StopWhenIdleFor > TimeSpan.Zero && _time.GetElapsedTime(idleFrom) >= _options.StopWhenIdleFor
                    && _slots.CurrentCount == _options.MaxConcurrentMessages)
                {
                    _lifetime.StopApplication();
                    return;
                }

                continue;
            }

            idleSince = _time.GetTimestamp();
            _received += messages.Count;
            var now = _time.GetUtcNow().UtcDateTime;
            foreach (var message in messages)
            {
                _metrics.MessageReceived();
                RecordLag(message, now);
                var inFlight = new InFlightMessage(message, now, now + _options.VisibilityTimeout);
                _tracker.Add(inFlight);
                var task = HandleAsync(inFlight);
                _handlers.TryAdd(task, 0);
                _ = task.ContinueWith(t => _handlers.TryRemove(t, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }
        }
    }

    private async Task HandleAsync(InFlightMessage m)
    {
        var slotHeld = true;
        try
        {
            using var work = CancellationTokenSource.CreateLinkedTokenSource(m.Abandoned, _readCancel.Token);
            var parsed = NotificationParser.Parse(m.Message.Body ?? string.Empty);
            switch (parsed.Kind)
            {
                case NotificationKind.Poison:
                    WorkerLog.Poison(_logger, m.MessageId, ReceiveCount(m), (parsed.Problem ?? "unknown").TrimEnd('.', ' '), WorkerLog.BodyPrefix(m.Message.Body ?? string.Empty));
                    Return(m, "poison message");
                    return;
                case NotificationKind.TestEvent:
                    WorkerLog.TestEvent(_logger, m.MessageId);
                    await _deleter.DeleteAsync(m, 0).ConfigureAwait(false);
                    return;
                case NotificationKind.Ignored:
                    WorkerLog.Ignored(_logger, m.MessageId, parsed.Kind.ToString());
                    await _deleter.DeleteAsync(m, 0).ConfigureAwait(false);
                    return;
            }

            var publications = new List<Task<PublishedSource>>();
            string? failure = null;
            foreach (var obj in parsed.Objects)
            {
                if (!_allowList.IsAllowed(obj.Bucket, obj.Key))
                {
                    WorkerLog.Refused(_logger, m.MessageId, obj.Bucket, obj.Key);
                    failure ??= $"s3://{obj.Bucket}/{obj.Key} is not in Worker:AllowedBuckets";
                    continue;
                }

                var kind = CloudTrailObjectKey.Classify(obj.Key);
                if (kind != CloudTrailObjectKind.LogFile)
                {
                    // Digests and Insights files come with every trail; anything else is worth a line at the default level.
                    if (kind == CloudTrailObjectKind.Other)
                    {
                        WorkerLog.NotNamedLikeALogFile(_logger, m.MessageId, obj.Bucket, obj.Key);
                    }
                    else
                    {
                        WorkerLog.NotALogFile(_logger, m.MessageId, obj.Bucket, obj.Key, kind.ToString());
                    }

                    _metrics.ObjectSkipped();
                    continue;
                }

                var outcome = await _ingestor.IngestAsync(m.MessageId, obj, work.Token).ConfigureAwait(false);
                failure ??= outcome.Failure;
                if (outcome.Publication is not null)
                {
                    publications.Add(outcome.Publication);
                }
            }

            // Reading is done: let the next message in while this one waits for its rows to be published.
            _slots.Release();
            slotHeld = false;
            var readsDone = _time.GetTimestamp();

            try
            {
                await Task.WhenAll(publications).WaitAsync(m.Abandoned).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                WorkerLog.PublishFailed(_logger, m.MessageId, e.Message);
                OutputFailed(e);
                Return(m, "its rows could not be written");
                return;
            }

            if (publications.Count > 0)
            {
                _metrics.PublishLatency.Record(_time.GetElapsedTime(readsDone).TotalSeconds);
                _health.Progressed(_time.GetUtcNow().UtcDateTime);
            }

            if (publications.Count > 0 && Interlocked.Exchange(ref _outputFailures, 0) > 0)
            {
                _health.SetOutputProblem(null);
                WorkerLog.OutputRecovered(_logger);
            }

            if (failure is not null)
            {
                // Rows of the message's good objects are published and recorded in the ledger, so the retry skips them.
                Return(m, failure);
                return;
            }

            m.Done = true;
            await _deleter.DeleteAsync(m, parsed.Objects.Count).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Abandoned (shutdown past the grace period, or lost): nothing of this message was published.
        }
        catch (Exception e)
        {
            // Unexpected: never let one message take the worker down; it goes back to the queue and, if it keeps
            // failing, to the dead-letter queue.
            WorkerLog.Unexpected(_logger, e, m.MessageId);
            Return(m, "unexpected error: " + e.Message);
        }
        finally
        {
            if (slotHeld)
            {
                _slots.Release();
            }
        }
    }

    /// <summary>Stops tracking a message without deleting it: it reappears after its visibility timeout.</summary>
    private void Return(InFlightMessage m, string reason)
    {
        Volatile.Write(ref _lastReturned, _time.GetTimestamp());
        WorkerLog.Returned(_logger, m.MessageId, reason);
        _metrics.MessageReturned();
        _tracker.Remove(m);
        m.Dispose();
    }

    /// <summary>
    /// Graceful stop: no more receives; objects being read get the grace period to finish; then everything read is
    /// flushed and its messages deleted; whatever is still unfinished is abandoned and released (visibility 0).
    /// </summary>
    private async Task DrainAsync(Task deletes)
    {
        _health.Set(WorkerState.Stopping);
        WorkerLog.Stopping(_logger, _tracker.Count, _options.ShutdownGracePeriod);
        using var grace = new CancellationTokenSource(_options.ShutdownGracePeriod, _time);
        var readsDone = WaitForReadsAsync(grace.Token);
        try
        {
            await readsDone.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            await _readCancel.CancelAsync().ConfigureAwait(false);
        }

        try
        {
            await _sink.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            await Task.WhenAll(_handlers.Keys.ToArray()).WaitAsync(grace.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or TimeoutException)
        {
        }

        // Every delete queued so far gets the rest of the grace period; a message still undeleted then stays tracked.
        await _deleter.StopAsync(deletes, grace.Token).ConfigureAwait(false);

        // Those whose rows are published are deleted once more, not released: a release costs a call too, and would
        // only put them in front of a consumer (another worker, or on some servers a long poll of ours that was
        // cancelled but is still waiting there) whose ledger skips them. What is left is released below; nothing is
        // deleted after this, so the totals are final.
        await DeleteDoneAsync(_tracker.Snapshot().Where(m => m.Done && !m.Lost).ToList()).ConfigureAwait(false);

        var released = 0;
        foreach (var m in _tracker.Snapshot())
        {
            m.Abandon();
            try
            {
                await _sqs.ChangeMessageVisibilityAsync(_options.QueueUrl, m.ReceiptHandle, 0, CancellationToken.None).ConfigureAwait(false);
                released++;
                _metrics.MessageReturned();
            }
            catch (Exception e)
            {
                WorkerLog.Returned(_logger, m.MessageId, "release on shutdown failed (" + AwsErrors.Describe(e) + "); it reappears after its visibility timeout");
            }

            _tracker.Remove(m);
        }

        WorkerLog.Stopped(_logger, released);
        LogTotals();
        _health.Set(WorkerState.Stopped);
    }

    /// <summary>
    /// Deletes, past the grace period, the messages whose rows are durable (one DeleteMessageBatch per 10, side by side,
    /// no retry, all within <see cref="LateDeleteTimeout"/>); those it cannot delete stay tracked and are released with
    /// the rest.
    /// </summary>
    private async Task DeleteDoneAsync(IReadOnlyList<InFlightMessage> done)
    {
        using var timeout = new CancellationTokenSource(LateDeleteTimeout, _time);
        await Task.WhenAll(done.Chunk(WorkerOptions.MaxBatchEntries).Select(chunk => DeleteDoneAsync(chunk, timeout.Token))).ConfigureAwait(false);
    }

    private async Task DeleteDoneAsync(InFlightMessage[] chunk, CancellationToken timeout)
    {
        try
        {
            var response = await _sqs.DeleteMessageBatchAsync(
                new DeleteMessageBatchRequest
                {
                    QueueUrl = _options.QueueUrl,
                    Entries = chunk.Select((m, i) => new DeleteMessageBatchRequestEntry(i.ToString(System.Globalization.CultureInfo.InvariantCulture), m.ReceiptHandle)).ToList(),
                },
                timeout).ConfigureAwait(false);
            foreach (var ok in response.Successful ?? [])
            {
                var m = chunk[int.Parse(ok.Id, System.Globalization.CultureInfo.InvariantCulture)];
                _metrics.MessageDeleted();
                WorkerLog.DeletedAfterGrace(_logger, m.MessageId);
                _tracker.Remove(m);
                m.Dispose();
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            WorkerLog.Returned(_logger, string.Join(",", chunk.Select(m => m.MessageId)), "late delete on shutdown failed (" + AwsErrors.Describe(e) + "); released instead");
        }
    }

    private static readonly TimeSpan LateDeleteTimeout = TimeSpan.FromSeconds(3);

    /// <summary>The shutdown summary: counts since start, the process's peak working set (VmHWM on Linux) and its CPU time.</summary>
    private void LogTotals()
    {
        var t = _metrics.Totals;
        using var self = System.Diagnostics.Process.GetCurrentProcess();
        WorkerLog.Totals(_logger, _options.WriterId, t.MessagesReceived, t.MessagesDeleted, t.MessagesReturned, t.VisibilityExtensions, t.ObjectsRead, t.BytesRead, t.KmsRows, t.ObjectsSkipped,
            self.PeakWorkingSet64 / (1024.0 * 1024.0), self.TotalProcessorTime.TotalSeconds);
    }

    /// <summary>
    /// Before the first receive: an output bucket that does not exist, or may not be written, is a setting to fix (exit
    /// 2 and 3, like a missing queue), not an outage to wait out; any other failure starts the worker degraded, taking no
    /// message until the output can be written.
    /// </summary>
    private async Task<bool> CheckOutputAtStartAsync(CancellationToken stoppingToken)
    {
        try
        {
            await _store.ProbeWritableAsync(DatasetLayout.TableDirectory, stoppingToken).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        catch (Exception e) when (AwsErrors.IsFatal(e))
        {
            var missing = e is Amazon.Runtime.AmazonServiceException { ErrorCode: "NoSuchBucket" };
            var problem = $"{WorkerOptions.Section}:Output '{_options.Output}' cannot be written: {AwsErrors.Describe(e)}"
                + (missing ? "; create the bucket or fix the setting" : "; grant s3:PutObject on the dataset's prefix to the worker's role");
            WorkerLog.Fatal(_logger, problem);
            _health.Set(WorkerState.Failed, problem);
            ExitCode = missing ? 2 : 3;
            _lifetime.StopApplication();
            return false;
        }
        catch (Exception e)
        {
            OutputFailed(e);
            return true;
        }
    }

    /// <summary>Whether the output can be written now; if not, the back-off grows and no message is taken.</summary>
    private async Task<bool> OutputWritableAsync(CancellationToken stoppingToken)
    {
        try
        {
            await _store.ProbeWritableAsync(DatasetLayout.TableDirectory, stoppingToken).ConfigureAwait(false);
            return true;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            OutputFailed(e);
            WorkerLog.OutputProbeFailed(_logger, _store.Location, AwsErrors.Describe(e), TimeSpan.FromTicks(Interlocked.Read(ref _outputBlockedUntilTicks) - _time.GetUtcNow().UtcTicks).TotalMilliseconds);
            return false;
        }
    }

    /// <summary>
    /// The output could not be written (disk full, permissions, S3 refusing): report unhealthy and stop taking messages
    /// for a capped, growing back-off; unwritten messages stay on the queue. The next success clears it. The messages
    /// of one failed flush are one failure, not one each.
    /// </summary>
    private void OutputFailed(Exception e)
    {
        var cause = e.GetBaseException();
        if (ReferenceEquals(Interlocked.Exchange(ref _lastOutputFailure, cause), cause))
        {
            return; // another message of the same failed flush
        }

        var failures = Interlocked.Increment(ref _outputFailures);
        var delay = AwsErrors.Backoff(failures - 1, _options.MaxBackoff);
        Interlocked.Exchange(ref _outputBlockedUntilTicks, (_time.GetUtcNow() + delay).UtcTicks);
        _health.SetOutputProblem("output cannot be written: " + e.Message);
        WorkerLog.OutputFailing(_logger, failures, delay.TotalMilliseconds);
    }

    private async Task ReleaseAsync(IReadOnlyList<Message> messages)
    {
        foreach (var message in messages)
        {
            // Received (a long poll that ended after the stop request), then handed back at once: counted as both, so
            // received = deleted + returned + still held holds in the totals.
            _metrics.MessageReceived();
            try
            {
                await _sqs.ChangeMessageVisibilityAsync(_options.QueueUrl, message.ReceiptHandle, 0, CancellationToken.None).ConfigureAwait(false);
                _metrics.MessageReturned();
            }
            catch (Exception e)
            {
                WorkerLog.Returned(_logger, message.MessageId, "release on shutdown failed (" + AwsErrors.Describe(e) + "); it reappears after its visibility timeout");
            }
        }
    }

    private async Task WaitForReadsAsync(CancellationToken cancellationToken)
    {
        // All slots free means no message is still being read.
        for (var i = 0; i < _options.MaxConcurrentMessages; i++)
        {
            await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        _slots.Release(_options.MaxConcurrentMessages);
    }

    private void RecordLag(Message message, DateTime now)
    {
        if (message.Attributes is { } a && a.TryGetValue("SentTimestamp", out var sent) && long.TryParse(sent, out var ms)
            && (!a.TryGetValue("ApproximateReceiveCount", out var count) || count == "1"))
        {
            _metrics.Lag.Record((now - DateTime.UnixEpoch.AddMilliseconds(ms)).TotalSeconds);
        }
    }

    private static string ReceiveCount(InFlightMessage m) =>
        m.Message.Attributes is { } a && a.TryGetValue("ApproximateReceiveCount", out var c) ? c : "?";

    public override void Dispose()
    {
        _slots.Dispose();
        _readCancel.Dispose();
        _deleter.Dispose();
        base.Dispose();
    }
}
