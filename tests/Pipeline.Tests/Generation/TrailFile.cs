namespace Pipeline.Tests.Generation;

/// <summary>A log file's receiving account and delivery date, read from its object key.</summary>
internal sealed record TrailFile(string Account, DateOnly Delivered);
