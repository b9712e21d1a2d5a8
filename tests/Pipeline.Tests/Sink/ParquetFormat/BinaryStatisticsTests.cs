using Pipeline.Sink.ParquetFormat;

namespace Pipeline.Tests.Sink.ParquetFormat;

public sealed class BinaryStatisticsTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Minimum_and_maximum_are_the_unsigned_lexicographic_extremes_of_every_value_added(int seed)
    {
        // Values that share first bytes, differ only later or in length, are empty, or start with bytes above 0x7F:
        // the first-byte shortcut must never skip a value that is a new extreme.
        var rng = new Random(seed);
        byte[] firsts = [0x00, (byte)'0', (byte)'5', (byte)'a', (byte)'f', 0x7F, 0x80, 0xFF];
        for (var round = 0; round < 200; round++)
        {
            var stats = new BinaryStatistics();
            var values = new List<byte[]>();
            var count = rng.Next(1, 40);
            for (var i = 0; i < count; i++)
            {
                var value = new byte[rng.Next(0, 6)];
                for (var j = 0; j < value.Length; j++)
                {
                    value[j] = j == 0 ? firsts[rng.Next(firsts.Length)] : firsts[rng.Next(firsts.Length)];
                }

                values.Add(value);
                stats.Add(value);
            }

            var sorted = values.OrderBy(v => v, Comparer<byte[]>.Create((a, b) => a.AsSpan().SequenceCompareTo(b))).ToList();
            Assert.True(stats.HasValue);
            Assert.Equal(sorted[0], stats.Min.ToArray());
            Assert.Equal(sorted[^1], stats.Max.ToArray());
        }
    }
}
