using System.IO.Hashing;

namespace Pipeline.Sink;

/// <summary>
/// Hash of stored text for the interner and the dictionary encoder: XXH3 (vectorised, a few nanoseconds for an ARN;
/// <see cref="HashCode.AddBytes"/> measured several times slower and was ~5 % of ingest CPU), seeded per process so
/// crafted values in a trail cannot be lined up to collide.
/// </summary>
internal static class Utf8Hash
{
    private static readonly long Seed = Random.Shared.NextInt64();

    /// <summary>A non-negative hash of <paramref name="utf8"/>.</summary>
    public static int Compute(ReadOnlySpan<byte> utf8) => (int)XxHash3.HashToUInt64(utf8, Seed) & int.MaxValue;
}
