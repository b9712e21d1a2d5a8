using Amazon.SQS.Model;

namespace Pipeline.Ingest.Worker;

/// <summary>
/// A received message the worker is responsible for: from receive until it is deleted, released or given up.
/// While tracked, the heartbeat keeps it invisible to other consumers.
/// </summary>
internal sealed class InFlightMessage(Message message, DateTime receivedUtc, DateTime visibleAtUtc) : IDisposable
{
    private readonly CancellationTokenSource _abandon = new();

    public Message Message { get; } = message;

    public string MessageId => Message.MessageId;

    public string ReceiptHandle => Message.ReceiptHandle;

    public DateTime ReceivedUtc { get; } = receivedUtc;

    /// <summary>When SQS will make the message visible again unless extended.</summary>
    public DateTime VisibleAtUtc { get; set; } = visibleAtUtc;

    /// <summary>
    /// Set once the message's rows are published and recorded and only its delete is left: a message the shutdown finds
    /// in this state is deleted, not released (a released one would only be read again and skipped by the ledger).
    /// </summary>
    public bool Done { get; set; }

    /// <summary>Set when SQS says the receipt handle is no longer valid: another consumer may have the message now.</summary>
    public bool Lost { get; set; }

    /// <summary>Cancelled when the worker must stop working on this message (shutdown past the grace period, or lost).</summary>
    public CancellationToken Abandoned => _abandon.Token;

    public void Abandon()
    {
        try
        {
            _abandon.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    public void Dispose() => _abandon.Dispose();
}
