using System.Buffers;

namespace Pipeline.Sink.ParquetFormat;

/// <summary>Unsigned LEB128 integers, as both Thrift's compact protocol and Parquet's hybrid run headers write them.</summary>
internal static class Varint
{
    public static void Write(ulong value, IBufferWriter<byte> output)
    {
        var span = output.GetSpan(10);
        var i = 0;
        while (value >= 0x80)
        {
            span[i++] = (byte)(value | 0x80);
            value >>= 7;
        }

        span[i++] = (byte)value;
        output.Advance(i);
    }
}
