using System.Globalization;
using System.Threading.Channels;
using Amazon.SQS;
using Amazon.SQS.Model;
using Microsoft.Extensions.Logging;

namespace Pipeline.Ingest.Worker;

/// <summary>
/// Deletes messages whose rows are durable with DeleteMessageBatch: one loop sends whatever is queued when it is free
/// (up to 10 per call, never waiting to fill a batch), so a lone message goes at once and a burst shares calls. Each
/// message's outcome is logged, counted and untracked on its own, as with one DeleteMessage per message.
/// </summary>
/// <remarks>
/// A failed call, or an entry SQS reports as failed on its side, is retried in a later batch after a back-off, up to
/// <see cref="MaxAttempts"/> attempts per message; an invalid receipt handle, another error of the sender, or a fatal
/// error gives up at once. A message whose delete is given up is redelivered after its visibility timeout and the
/// ledger skips its objects.
/// </remarks>
internal sealed class MessageDeleter(IAmazonSQS sqs, WorkerOptions options, InFlightTracker tracker, WorkerMetrics metrics, TimeProvider time, ILogger logger) : IDisposable
{
    /// <summary>Attempts per message, as the per-message deletes had: the first and three retries.</summary>
    private const int MaxAttempts = 4;

    private readonly Channel<PendingDelete> _queue = Channel.CreateUnbounded<PendingDelete>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _abort = new();

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
        var retries = new List<PendingDelete>();
        var batch = new List<PendingDelete>(WorkerOptions.MaxBatchEntries);
        try
        {
            while (true)
            {
                batch.Clear();
                TakeDue(retries, batch);
                while (batch.Count < WorkerOptions.MaxBatchEntries && _queue.Reader.TryRead(out var next))
                {
                    batch.Add(next);
                }

                if (batch.Count > 0)
                {
                    await SendAsync(batch, retries).ConfigureAwait(false);
                }
                else if (!await WaitAsync(retries).ConfigureAwait(false))
                {
                    return;
                }
            }
        }
        catch (Exception) when (_abort.IsCancellationRequested)
        {
            // The grace period ran out: a call in progress was cancelled (or failed as it was).
        }
        finally
        {
            // Only when the grace period ran out (or on a bug): whatever has no outcome yet stays tracked for the drain.
            foreach (var p in batch.Concat(retries))
            {
                LeaveToDrain(p);
            }

            _queue.Writer.TryComplete();
            while (_queue.Reader.TryRead(out var p))
            {
                LeaveToDrain(p);
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

    private async Task SendAsync(List<PendingDelete> batch, List<PendingDelete> retries)
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
            foreach (var p in batch)
            {
                Failed(p, retryable, AwsErrors.Describe(e), retries);
            }

            return;
        }

        foreach (var ok in response.Successful ?? [])
        {
            if (Entry(batch, ok.Id) is { } p)
            {
                metrics.MessageDeleted();
                WorkerLog.Deleted(logger, p.Message.MessageId, p.Objects);
                Finish(p);
            }
        }

        foreach (var failed in response.Failed ?? [])
        {
            if (Entry(batch, failed.Id) is { } p)
            {
                var retryable = failed.SenderFault != true && !IsInvalidReceipt(failed.Code);
                Failed(p, retryable, $"{failed.Code ?? "?"} (sender fault: {failed.SenderFault?.ToString() ?? "?"}): {failed.Message}", retries);
            }
        }

        foreach (var p in batch.Where(p => !p.Settled && !retries.Contains(p)))
        {
            Failed(p, retryable: true, "missing from the DeleteMessageBatch response", retries);
        }
    }

    /// <summary>Retries later unless the error is final or the attempts are spent; then gives up on the message.</summary>
    private void Failed(PendingDelete p, bool retryable, string error, List<PendingDelete> retries)
    {
        if (retryable && p.Attempt < MaxAttempts - 1)
        {
            var delay = AwsErrors.Backoff(p.Attempt, options.MaxBackoff);
            p.Attempt++;
            p.DueUtc = time.GetUtcNow() + delay;
            retries.Add(p);
            WorkerLog.DeleteRetry(logger, p.Message.MessageId, p.Attempt, error, delay.TotalMilliseconds);
            return;
        }

        WorkerLog.DeleteFailed(logger, p.Message.MessageId, error);
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
            WorkerLog.DeleteFailed(logger, p.Message.MessageId, "the shutdown grace period ran out before the delete; released with the unfinished messages");
            p.Settle();
        }
    }

    /// <summary>Moves the retries that are due, earliest first, into the batch.</summary>
    private void TakeDue(List<PendingDelete> retries, List<PendingDelete> batch)
    {
        if (retries.Count == 0)
        {
            return;
        }

        var now = time.GetUtcNow();
        foreach (var p in retries.Where(p => p.DueUtc <= now).OrderBy(p => p.DueUtc).Take(WorkerOptions.MaxBatchEntries).ToList())
        {
            retries.Remove(p);
            batch.Add(p);
        }
    }

    /// <summary>Waits until a message is queued or the first retry is due; false when stopped and nothing is left.</summary>
    private async Task<bool> WaitAsync(List<PendingDelete> retries)
    {
        if (retries.Count == 0)
        {
            return await _queue.Reader.WaitToReadAsync(_abort.Token).ConfigureAwait(false);
        }

        var wait = retries.Min(p => p.DueUtc) - time.GetUtcNow();
        if (wait <= TimeSpan.Zero)
        {
            return true;
        }

        if (_queue.Reader.Completion.IsCompleted)
        {
            await Task.Delay(wait, time, _abort.Token).ConfigureAwait(false);
            return true;
        }

        using var due = new CancellationTokenSource(wait, time);
        using var either = CancellationTokenSource.CreateLinkedTokenSource(due.Token, _abort.Token);
        try
        {
            await _queue.Reader.WaitToReadAsync(either.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!_abort.IsCancellationRequested)
        {
        }

        return true;
    }

    private static PendingDelete? Entry(List<PendingDelete> batch, string? id) =>
        int.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var i) && i < batch.Count && !batch[i].Settled ? batch[i] : null;

    private static bool IsInvalidReceipt(Exception e) =>
        e is ReceiptHandleIsInvalidException || (e is AmazonSQSException s && IsInvalidReceipt(s.ErrorCode));

    private static bool IsInvalidReceipt(string? code) =>
        code is not null && (code.EndsWith("ReceiptHandleIsInvalid", StringComparison.Ordinal) || code == "InvalidParameterValue");

    public void Dispose() => _abort.Dispose();

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
