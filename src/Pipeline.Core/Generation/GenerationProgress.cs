namespace Pipeline.Generation;

/// <summary>Progress report: decompressed bytes written so far against the size target.</summary>
internal readonly record struct GenerationProgress(long UncompressedBytes, long TargetBytes, int Files)
{
    public double Fraction => TargetBytes <= 0 ? 0 : Math.Min(0.99, (double)UncompressedBytes / TargetBytes);
}
