namespace Pipeline.Parsing;

/// <summary>What reading one object took and found.</summary>
internal readonly record struct ReadSummary(long Records, long DecompressedBytes);
