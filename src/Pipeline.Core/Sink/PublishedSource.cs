namespace Pipeline.Sink;

/// <summary>A source object whose rows are all published (visible to readers).</summary>
/// <param name="Identity">The caller's identity of the source (opaque to the sink; e.g. a ledger key).</param>
/// <param name="Rows">Rows written for it.</param>
/// <param name="Files">Dataset-relative paths of the files holding its rows (shared with other sources).</param>
internal sealed record PublishedSource(object Identity, long Rows, IReadOnlyList<string> Files);
