namespace Pipeline.Sink;

/// <summary>Content of one ledger marker file.</summary>
internal sealed record LedgerMarker(string Kind, string Location, string Version, long Rows, IReadOnlyList<string> Files, DateTimeOffset ProcessedAt);
