namespace Pipeline.Generation;

/// <summary>A written log file, as the hourly digest needs to describe it.</summary>
internal sealed record LogFileInfo(int Account, int Region, DateTime Delivered, string Key, string Sha256Hex, DateTime Oldest, DateTime Newest);
