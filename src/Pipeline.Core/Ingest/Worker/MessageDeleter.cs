using System.Globalization;
using System.Threading.Channels;
using Amazon.SQS;
using Amazon.SQS.Model;
using Microsoft.Extensions.Logging;

namespace Pipeline.Ingest.Worker;

/// <summary>
/// Deletes messages whose rows are durable with DeleteMessageBatch: one loop sends whatever is queued, up to 10 per call,
/// with up to <see cref="MaxCallsInFlight"/> calls outstanding. A full batch goes whenever a call is free; a partial one
/// goes at once when no call is outstanding, else when a call ends or every outstanding call is slow (see
/// <see cref="SlowCall"/>). So a lone message goes at once, a burst shares calls, a backlog is deleted by several calls
/// at a time, and one slow call does not hold back the deletes queued after it. Each message's outcome is logged,
/// counted and untracked on its own, as with one DeleteMessage per message.
/// </summary>
/// <remarks>
/// A failed call, or an entry SQS reports as failed on its side, is retried in a later batch after a back-off, up to
/// <see cref="MaxAttempts"/> attempts per message; an invalid receipt handle, another error of the sender, or a fatal
/// error gives up at once. A message whose delete is given up is redelivered after its visibility timeout and the
/// ledger skips its objects. A message is in exactly one place at a time (the queue, one call's batch, or the retry
/// list), so it is settled once.
/// </remarks>
internal sealed class MessageDeleter(IAmazonSQS sqs, WorkerOptions options, InFlightTracker tracker, WorkerMetrics metrics, TimeProvider time, ILogger logger) : IDisposable
{
    /// <summary>Attempts per message, as the per-message deletes had: the first and three retries.</summary>
    private const int MaxAttempts = 4;

    /// <summary>
    /// DeleteMessageBatch calls outstanding at once: one at a time caps a worker at 200–500 deletes/s at AWS latency
    /// (20–50 ms a call), and a slow call would hold back every delete queued behind it.
    /// </summary>
    private const int MaxCallsInFlight = 4;

    /// <summary>
    /// A call outstanding this long is slow (SQS answers in 20–50 ms): a partial batch no longer waits for it. Until
    /// then a partial batch waits for a call to end, so that messages arriving during a call share the next one.
    /// </summary>
    private static readonly TimeSpan SlowCall = TimeSpan.FromMilliseconds(100);

    // One reader, but not SingleReader: that channel cannot count its items, and the loop asks whether 10 are waiting.
    private readonly Channel<PendingDelete> _queue = Channel.CreateUnbounded<PendingDelete>();
    private readonly CancellationTokenSource _abort = new();

    // Deletes to retry when due: added by the calls as they finish, taken by the loop; guarded by locking the list.
    private readonly List<PendingDelete> _retries = [];

    private long _lastGaveUp;

    /// <summary>
    /// When (<see cref="TimeProvider.GetTimestamp"/>) a delete was last given up, 0 if never: that message comes back after
    /// its visibility timeout, so a worker told to stop when idle counts its idle time from here.
    /// </summary>
    public long LastGaveUpTimestamp => Volatile.Read(ref _lastGaveUp);

    /// <summary>
    /// Queues a message whose rows are durable; completes once its delete succeeded or was given up. After
    /// <see cref="StopAsync"/> nothing is queued: the message stays tracked and the drain releases it.
    /// </summary>
    public Task DeleteAsync(InFlightMessage message, int objects)
    {
        var pending = new PendingDelete(message, objects);
        return _queue.Writer.TryWrite(pending) ? pending.Done : Task.CompletedTask;
    }

    /// <summary>The delete loop; ends after <see cref="StopAsync"/> once every queued message has its outcome.</summary>
    public async Task RunAsync()
    {
        var calls = new List<Call>(MaxCallsInFlight);
        try
        {
            while (!_abort.IsCancellationRequested)
            {
                await EndFinishedAsync(calls).ConfigureAwait(false);
                var batch = calls.Count < MaxCallsInFlight ? TakeBatch(fullOnly: YoungestCallAge(calls) < SlowCall) : [];
                if (batch.Count > 0)
                {
                    calls.Add(new Call(CallAsync(batch), time.GetTimestamp()));
                }
                else if (!await WaitAsync(calls).ConfigureAwait(false))
                {
                    return;
                }
            }
        }
        catch (Exception) when (_abort.IsCancellationRequested)
        {
            // The grace period ran out: the calls in progress are cancelled (or fail as they are).
        }
        finally
        {
            try
            {
                // Every call ends first: one still running could yet settle its messages or schedule retries.
                await Task.WhenAll(calls.Select(c => c.Task)).ConfigureAwait(false);
            }
            finally
            {
                // Only when the grace period ran out (or on a bug): whatever has no outcome yet stays tracked for the drain.
                LeaveRestToDrain();
            }
        }
    }

    /// <summary>
    /// Takes no more messages and waits for the queued ones; when <paramref name="cancellationToken"/> fires (the
    /// shutdown grace period ran out), calls in progress are cancelled and undeleted messages stay tracked.
    /// </summary>
    public async Task StopAsync(Task run, CancellationToken cancellationToken)
    {
        _queue.Writer.TryComplete();
        try
        {
            await run.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            await _abort.CancelAsync().ConfigureAwait(false);
            await run.ConfigureAwait(false);
        }
    }

    /// <summary>Takes no more messages and leaves the retries and the queued messages to the drain.</summary>
    private void LeaveRestToDrain()
    {
        lock (_retries)
        {
            foreach (var p in _retries)
            {
                LeaveToDrain(p);
            }

            _retries.Clear();
        }

        _queue.Writer.TryComplete();
        while (_queue.Reader.TryRead(out var p))
        {
            LeaveToDrain(p);
        }
    }

    /// <summary>Forgets the calls that have finished; a call that failed on a bug ends the loop, as it would have before.</summary>
    private static async Task EndFinishedAsync(List<Call> calls)
    {
        for (var i = calls.Count - 1; i >= 0; i--)
        {
            if (calls[i].Task.IsCompleted)
            {
                var finished = calls[i].Task;
                calls.RemoveAt(i);
                await finished.ConfigureAwait(false);
            }
        }
    }

    /// <summary>How long the most recently started outstanding call has been out; infinite when none is.</summary>
    private TimeSpan YoungestCallAge(List<Call> calls) =>
        calls.Count == 0 ? TimeSpan.MaxValue : calls.Min(c => time.GetElapsedTime(c.Started));

    /// <summary>
    /// The next batch: the retries that are due, earliest first, then queued messages, up to 10 in all; with
    /// <paramref name="fullOnly"/>, nothing unless there are 10.
    /// </summary>
    private List<PendingDelete> TakeBatch(bool fullOnly)
    {
        var batch = new List<PendingDelete>(WorkerOptions.MaxBatchEntries);
        lock (_retries)
        {
            var now = time.GetUtcNow();
            var due = _retries.Count == 0 ? [] : _retries.Where(p => p.DueUtc <= now).OrderBy(p => p.DueUtc).Take(WorkerOptions.MaxBatchEntries).ToList();
            if (fullOnly && due.Count + _queue.Reader.Count < WorkerOptions.MaxBatchEntries)
            {
                return batch;
            }

            foreach (var p in due)
            {
                _retries.Remove(p);
                batch.Add(p);
            }
        }

        while (batch.Count < WorkerOptions.MaxBatchEntries && _queue.Reader.TryRead(out var next))
        {
            batch.Add(next);
        }

        return batch;
    }

    /// <summary>
    /// Waits until a call finishes (which frees one and may have scheduled a retry) or, while a call is free, until a
    /// message is queued or the first retry is due, or, while the outstanding calls are young, until the youngest is
    /// slow; false when stopped and nothing is left.
    /// </summary>
    private async Task<bool> WaitAsync(List<Call> calls)
    {
        DateTimeOffset? firstDue;
        lock (_retries)
        {
            firstDue = _retries.Count == 0 ? null : _retries.Min(p => p.DueUtc);
        }

        // Completed means completed and emptied: nothing more can be queued or read.
        var queueOpen = !_queue.Reader.Completion.IsCompleted;
        if (calls.Count == 0 && firstDue is null && !queueOpen)
        {
            return false;
        }

        using var woken = CancellationTokenSource.CreateLinkedTokenSource(_abort.Token);
        var waits = calls.Select(c => c.Task).ToList();
        var youngest = YoungestCallAge(calls);
        if (calls.Count < MaxCallsInFlight && youngest < SlowCall)
        {
            // A partial batch waits for the calls out now; a full one waits at most until the youngest is slow.
            waits.Add(Task.Delay(SlowCall - youngest, time, woken.Token));
        }
        else if (calls.Count < MaxCallsInFlight)
        {
            if (queueOpen)
            {
                waits.Add(_queue.Reader.WaitToReadAsync(woken.Token).AsTask());
            }

            if (firstDue is { } due)
            {
                var wait = due - time.GetUtcNow();
                waits.Add(Task.Delay(wait > TimeSpan.Zero ? wait : TimeSpan.Zero, time, woken.Token));
            }
        }

        try
        {
            await Task.WhenAny(waits).ConfigureAwait(false);
        }
        finally
        {
            // The waits that did not fire end here, cancelled (and nobody observes them).
            await woken.CancelAsync().ConfigureAwait(false);
        }

        _abort.Token.ThrowIfCancellationRequested();
        return true;
    }

    /// <summary>One DeleteMessageBatch call; on the grace-period abort it is cancelled and leaves its unanswered messages to the drain.</summary>
    private async Task CallAsync(List<PendingDelete> batch)
    {
        var answered = new bool[batch.Count];
        try
        {
            await SendAsync(batch, answered).ConfigureAwait(false);
        }
        catch (Exception) when (_abort.IsCancellationRequested)
        {
            // The grace period ran out: the call was cancelled (or failed as it was).
        }
        finally
        {
            for (var i = 0; i < batch.Count; i++)
            {
                if (!answered[i])
                {
                    LeaveToDrain(batch[i]);
                }
            }
        }
    }

    private async Task SendAsync(List<PendingDelete> batch, bool[] answered)
    {
        DeleteMessageBatchResponse response;
        try
        {
            response = await sqs.DeleteMessageBatchAsync(
                new DeleteMessageBatchRequest
                {
                    QueueUrl = options.QueueUrl,
                    Entries = batch.Select((p, i) => new DeleteMessageBatchRequestEntry(i.ToString(CultureInfo.InvariantCulture), p.Message.ReceiptHandle)).ToList(),
                },
                _abort.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (!_abort.IsCancellationRequested)
        {
            var retryable = !AwsErrors.IsFatal(e) && !IsInvalidReceipt(e);
            for (var i = 0; i < batch.Count; i++)
            {
                answered[i] = true;
                Failed(batch[i], retryable, AwsErrors.Describe(e));
            }

            return;
        }

        foreach (var ok in response.Successful ?? [])
        {
            if (Answer(answered, ok.Id) is { } i)
            {
                metrics.MessageDeleted();
                WorkerLog.Deleted(logger, batch[i].Message.MessageId, batch[i].Objects);
                Finish(batch[i]);
            }
        }

        foreach (var failed in response.Failed ?? [])
        {
            if (Answer(answered, failed.Id) is { } i)
            {
                var retryable = failed.SenderFault != true && !IsInvalidReceipt(failed.Code);
                Failed(batch[i], retryable, $"{failed.Code ?? "?"} (sender fault: {failed.SenderFault?.ToString() ?? "?"}): {failed.Message}");
            }
        }

        for (var i = 0; i < batch.Count; i++)
        {
            if (!answered[i])
            {
                answered[i] = true;
                Failed(batch[i], retryable: true, "missing from the DeleteMessageBatch response");
            }
        }
    }

    /// <summary>Retries later unless the error is final or the attempts are spent; then gives up on the message.</summary>
    private void Failed(PendingDelete p, bool retryable, string error)
    {
        if (retryable && p.Attempt < MaxAttempts - 1)
        {
            var delay = AwsErrors.Backoff(p.Attempt, options.MaxBackoff);
            p.Attempt++;
            p.DueUtc = time.GetUtcNow() + delay;
            lock (_retries)
            {
                _retries.Add(p);
            }

            WorkerLog.DeleteRetry(logger, p.Message.MessageId, p.Attempt, error, delay.TotalMilliseconds);
            return;
        }

        WorkerLog.DeleteFailed(logger, p.Message.MessageId, error);
        Volatile.Write(ref _lastGaveUp, time.GetTimestamp());
        Finish(p);
    }

    private void Finish(PendingDelete p)
    {
        tracker.Remove(p.Message);
        p.Message.Dispose();
        p.Settle();
    }

    /// <summary>Not deleted at shutdown: the message stays tracked, so the drain releases it (visibility 0).</summary>
    private void LeaveToDrain(PendingDelete p)
    {
        if (!p.Settled)
        {
            WorkerLog.DeleteFailed(logger, p.Message.MessageId, "the shutdown grace period ran out before the delete; deleted once more on the way out, else released with the unfinished messages");
            p.Settle();
        }
    }

    /// <summary>The batch index an answer refers to, the first time it is answered; null for an unknown or repeated id.</summary>
    private static int? Answer(bool[] answered, string? id)
    {
        if (!int.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var i) || i >= answered.Length || answered[i])
        {
            return null;
        }

        answered[i] = true;
        return i;
    }

    private static bool IsInvalidReceipt(Exception e) =>
        e is ReceiptHandleIsInvalidException || (e is AmazonSQSException s && IsInvalidReceipt(s.ErrorCode));

    private static bool IsInvalidReceipt(string? code) =>
        code is not null && (code.EndsWith("ReceiptHandleIsInvalid", StringComparison.Ordinal) || code == "InvalidParameterValue");

    public void Dispose() => _abort.Dispose();

    /// <summary>A DeleteMessageBatch call in progress and when it started (a <see cref="TimeProvider"/> timestamp).</summary>
    private readonly record struct Call(Task Task, long Started);

    /// <summary>A message waiting for its delete, with its attempts so far.</summary>
    private sealed class PendingDelete(InFlightMessage message, int objects)
    {
        private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public InFlightMessage Message { get; } = message;

        public int Objects { get; } = objects;

        public int Attempt { get; set; }

        public DateTimeOffset DueUtc { get; set; }

        public Task Done => _done.Task;

        public bool Settled => _done.Task.IsCompleted;

        public void Settle() => _done.TrySetResult();
    }
}
