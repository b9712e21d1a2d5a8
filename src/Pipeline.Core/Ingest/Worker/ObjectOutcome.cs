using Pipeline.Sink;

namespace Pipeline.Ingest.Worker;

/// <summary>What happened to one object of a message.</summary>
/// <param name="Publication">Completes when the object's rows are published; null when there was nothing to write.</param>
/// <param name="Failure">Why the object could not be ingested; null on success or skip.</param>
internal sealed record ObjectOutcome(Task<PublishedSource>? Publication, string? Failure)
{
    public static readonly ObjectOutcome Skipped = new(null, null);

    public static ObjectOutcome Failed(string reason) => new(null, reason);
}
