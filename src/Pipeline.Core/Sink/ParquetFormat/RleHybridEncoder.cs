using System.Buffers;

namespace Pipeline.Sink.ParquetFormat;

/// <summary>
/// Parquet's RLE / bit-packing hybrid encoding, used for definition levels and dictionary indices: runs of at
/// least eight equal values become one RLE run, everything else is bit-packed in groups of eight (LSB first).
/// </summary>
internal static class RleHybridEncoder
{
    private const int MinRleRun = 8;
    private const int MaxGroupsPerRun = 63;

    public static int BitWidth(int maxValue) => maxValue <= 0 ? 0 : 32 - int.LeadingZeroCount(maxValue);

    public static void Encode(ReadOnlySpan<int> values, int bitWidth, IBufferWriter<byte> output)
    {
        var i = 0;
        while (i < values.Length)
        {
            var run = RunLength(values, i);
            if (run >= MinRleRun)
            {
                WriteRle(values[i], run, bitWidth, output);
                i += run;
                continue;
            }

            // Bit-pack groups of eight until a long run starts at a group boundary (or the data ends).
            var start = i;
            var groups = 0;
            do
            {
                i = Math.Min(i + 8, values.Length);
                groups++;
            }
            while (i < values.Length && groups < MaxGroupsPerRun && RunLength(values, i) < MinRleRun);

            WriteBitPacked(values[start..i], groups, bitWidth, output);
        }
    }

    private static int RunLength(ReadOnlySpan<int> values, int start)
    {
        var v = values[start];
        var j = start + 1;
        while (j < values.Length && values[j] == v)
        {
            j++;
        }

        return j - start;
    }

    private static void WriteRle(int value, int count, int bitWidth, IBufferWriter<byte> output)
    {
        Varint.Write((uint)count << 1, output);
        var bytes = (bitWidth + 7) / 8;
        var span = output.GetSpan(4);
        for (var b = 0; b < bytes; b++)
        {
            span[b] = (byte)(value >> (8 * b));
        }

        output.Advance(bytes);
    }

    private static void WriteBitPacked(ReadOnlySpan<int> values, int groups, int bitWidth, IBufferWriter<byte> output)
    {
        Varint.Write(((uint)groups << 1) | 1, output);
        var length = groups * bitWidth; // 8 values of bitWidth bits per group = bitWidth bytes
        var span = output.GetSpan(length)[..length];
        span.Clear(); // the last group is padded with zeros
        ulong pending = 0;
        var pendingBits = 0;
        var pos = 0;
        foreach (var v in values)
        {
            pending |= (ulong)(uint)v << pendingBits;
            pendingBits += bitWidth;
            while (pendingBits >= 8)
            {
                span[pos++] = (byte)pending;
                pending >>= 8;
                pendingBits -= 8;
            }
        }

        if (pendingBits > 0)
        {
            span[pos] = (byte)pending;
        }

        output.Advance(length);
    }
}
