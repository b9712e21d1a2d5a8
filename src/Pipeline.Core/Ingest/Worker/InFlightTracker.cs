using System.Collections.Concurrent;

namespace Pipeline.Ingest.Worker;

/// <summary>The set of messages the worker holds, shared by the poller, the handlers and the heartbeat.</summary>
internal sealed class InFlightTracker
{
    private readonly ConcurrentDictionary<string, InFlightMessage> _messages = new(StringComparer.Ordinal);

    public int Count => _messages.Count;

    public void Add(InFlightMessage message) => _messages[message.ReceiptHandle] = message;

    public void Remove(InFlightMessage message) => _messages.TryRemove(message.ReceiptHandle, out _);

    public IReadOnlyList<InFlightMessage> Snapshot() => _messages.Values.ToList();
}
