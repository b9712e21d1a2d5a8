using Amazon.SQS;
using Amazon.SQS.Model;
using Microsoft.Extensions.Logging;

namespace Pipeline.Ingest.Worker;

/// <summary>
/// Keeps in-flight messages invisible while their objects are read and while their rows wait in an unflushed
/// buffer: every interval, messages that would become visible within two intervals get a new visibility timeout
/// (batched, 10 per call). A message whose receipt handle SQS rejects is marked lost and no longer extended.
/// </summary>
internal sealed class VisibilityHeartbeat(IAmazonSQS sqs, WorkerOptions options, InFlightTracker tracker, WorkerMetrics metrics, TimeProvider time, ILogger logger)
{
    public async Task RunAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.HeartbeatInterval, time);
        using var stop = StopTicks.On(timer, stoppingToken);
        try
        {
            while (await timer.WaitForNextTickAsync(CancellationToken.None).ConfigureAwait(false))
            {
                await ExtendDueAsync(stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Extends every tracked message that is due; public for the shutdown path and tests.</summary>
    public async Task ExtendDueAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var due = tracker.Snapshot()
            .Where(m => !m.Lost && m.VisibleAtUtc - now <= options.HeartbeatInterval * 2)
            .ToList();
        foreach (var chunk in due.Chunk(WorkerOptions.MaxMessagesPerReceiveLimit))
        {
            // SQS caps a message's total invisibility at 12 hours from its receive.
            var entries = chunk.Select((m, i) => new ChangeMessageVisibilityBatchRequestEntry
            {
                Id = i.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ReceiptHandle = m.ReceiptHandle,
                VisibilityTimeout = (int)Math.Max(0, Math.Min(options.VisibilityTimeout.TotalSeconds, (m.ReceivedUtc + WorkerOptions.MaxVisibilityTimeout - now).TotalSeconds - 5)),
            }).ToList();
            try
            {
                var response = await sqs.ChangeMessageVisibilityBatchAsync(new ChangeMessageVisibilityBatchRequest { QueueUrl = options.QueueUrl, Entries = entries }, cancellationToken).ConfigureAwait(false);
                foreach (var ok in response.Successful ?? [])
                {
                    var m = chunk[int.Parse(ok.Id, System.Globalization.CultureInfo.InvariantCulture)];
                    m.VisibleAtUtc = now + TimeSpan.FromSeconds(entries[int.Parse(ok.Id, System.Globalization.CultureInfo.InvariantCulture)].VisibilityTimeout ?? 0);
                    metrics.VisibilityExtended();
                }

                foreach (var failed in response.Failed ?? [])
                {
                    var m = chunk[int.Parse(failed.Id, System.Globalization.CultureInfo.InvariantCulture)];
                    if (failed.Code is { } code && (code.EndsWith("ReceiptHandleIsInvalid", StringComparison.Ordinal) || code.EndsWith("MessageNotInflight", StringComparison.Ordinal) || code == "InvalidParameterValue"))
                    {
                        m.Lost = true;
                        WorkerLog.HeartbeatLost(logger, m.MessageId, failed.Code ?? "?", failed.Message ?? string.Empty);
                    }
                    else
                    {
                        WorkerLog.HeartbeatFailed(logger, m.MessageId, failed.Code ?? "?");
                    }
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // A failed extension is retried on the next tick; the interval leaves two chances before expiry.
                WorkerLog.HeartbeatFailed(logger, string.Join(",", chunk.Select(m => m.MessageId)), AwsErrors.Describe(e));
            }
        }
    }
}
