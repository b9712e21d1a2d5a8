using System.IO.Compression;
using Pipeline.Parsing;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Parsing;

public sealed class GzipDecoderTests
{
    [Fact]
    public void The_runtimes_zlib_is_found_so_logs_are_not_read_through_the_slower_gzipstream()
    {
        Assert.True(ZlibInflater.IsAvailable);
        using var stream = GzipDecoder.Open(new MemoryStream(Gzip(new byte[10])));
        Assert.IsType<GzipDecoder>(stream);
    }

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(1000, 7, 3)]
    [InlineData(200_000, 1, 1024 * 1024)]
    [InlineData(200_000, 4096, 5)]
    [InlineData(3_000_000, int.MaxValue, 1024 * 1024)]
    [InlineData(3_000_000, 65536, 65536)]
    public async Task Decodes_what_gzipstream_decodes_whatever_the_sizes_of_the_reads(int length, int sourceChunk, int readSize)
    {
        var data = Text(length, seed: length);
        var gz = Gzip(data);

        Assert.Equal(data, await DecodeAsync(gz, sourceChunk, readSize));
        Assert.Equal(data, Decode(gz, sourceChunk, readSize));
        Assert.Equal(data, await ReferenceAsync(gz));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(int.MaxValue)]
    public async Task Concatenated_members_are_one_stream_even_when_a_read_ends_between_them(int sourceChunk)
    {
        var parts = new[] { Text(70_000, 1), Text(0, 2), Text(5, 3), Text(300_000, 4) };
        var gz = parts.SelectMany(Gzip).ToArray();

        Assert.Equal(parts.SelectMany(p => p).ToArray(), await DecodeAsync(gz, sourceChunk, 4096));
    }

    [Fact]
    public async Task Every_cut_inside_the_data_is_reported_as_truncation_as_gzipstream_reports_it()
    {
        var gz = Gzip(Text(3000, 9));
        for (var keep = 0; keep < gz.Length; keep++)
        {
            var cut = gz[..keep];
            var ours = await Assert.ThrowsAsync<InvalidDataException>(() => DecodeAsync(cut, 97, 512));
            Assert.True(GzipDecoder.IsTruncation(ours), $"cut at {keep}: {ours.Message}");
            var theirs = await Assert.ThrowsAsync<InvalidDataException>(() => ReferenceAsync(cut));
            Assert.True(GzipDecoder.IsTruncation(theirs), $"GZipStream at {keep}: {theirs.Message}");
        }
    }

    [Fact]
    public async Task A_second_member_cut_short_is_truncation_too()
    {
        var gz = Gzip(Text(1000, 1)).Concat(Gzip(Text(1000, 2))[..30]).ToArray();
        var ex = await Assert.ThrowsAsync<InvalidDataException>(() => DecodeAsync(gz, int.MaxValue, 4096));
        Assert.True(GzipDecoder.IsTruncation(ex), ex.Message);
    }

    [Theory]
    [InlineData(new byte[] { 0 })]
    [InlineData(new byte[] { (byte)'x', 0x1f, 0x8b })]
    [InlineData(new byte[] { 0x1f, 0x00, 0x00 })]
    public async Task Bytes_after_the_last_member_that_do_not_start_another_are_ignored(byte[] trailer)
    {
        var data = Text(5000, 5);
        var gz = Gzip(data).Concat(trailer).ToArray();

        Assert.Equal(data, await DecodeAsync(gz, int.MaxValue, 4096));
        Assert.Equal(data, await DecodeAsync(gz, 1, 4096));
        Assert.Equal(data, await ReferenceAsync(gz));
    }

    [Fact]
    public async Task A_lone_gzip_magic_byte_at_the_end_is_a_member_cut_short()
    {
        var gz = Gzip(Text(5000, 5)).Append((byte)0x1f).ToArray();
        var ex = await Assert.ThrowsAsync<InvalidDataException>(() => DecodeAsync(gz, int.MaxValue, 4096));
        Assert.True(GzipDecoder.IsTruncation(ex), ex.Message);
    }

    [Theory]
    [InlineData(-8)] // the CRC-32 of the content
    [InlineData(-2)] // the length modulo 2^32
    public async Task A_trailer_that_does_not_match_the_content_is_invalid_data_not_truncation(int at)
    {
        var gz = Gzip(Text(5000, 5));
        gz[gz.Length + at] ^= 0x40;

        var ex = await Assert.ThrowsAsync<InvalidDataException>(() => DecodeAsync(gz, int.MaxValue, 4096));
        Assert.False(GzipDecoder.IsTruncation(ex));
        Assert.Contains("incorrect", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_damaged_block_is_invalid_data()
    {
        var gz = Gzip(Text(5000, 5));
        for (var i = 12; i < 40; i++)
        {
            gz[i] = 0xff;
        }

        var ex = await Assert.ThrowsAsync<InvalidDataException>(() => DecodeAsync(gz, int.MaxValue, 4096));
        Assert.False(GzipDecoder.IsTruncation(ex));
    }

    [Fact]
    public async Task Disposing_returns_the_buffer_and_closes_the_source_unless_asked_to_leave_it_open()
    {
        var source = new MemoryStream(Gzip(Text(100, 1)));
        var decoder = GzipDecoder.Open(source, leaveOpen: true);
        await decoder.DisposeAsync();
        Assert.True(source.CanRead);
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await decoder.ReadAtLeastAsync(new byte[10], 1, throwOnEndOfStream: false));

        var closed = GzipDecoder.Open(source);
        closed.Dispose();
        closed.Dispose();
        Assert.False(source.CanRead);
    }

    private static async Task<byte[]> DecodeAsync(byte[] gz, int sourceChunk, int readSize)
    {
        await using var decoder = GzipDecoder.Open(new TrickleStream(gz, sourceChunk));
        var output = new MemoryStream();
        var buffer = new byte[readSize];
        int n;
        while ((n = await decoder.ReadAsync(buffer)) > 0)
        {
            output.Write(buffer, 0, n);
        }

        return output.ToArray();
    }

    private static byte[] Decode(byte[] gz, int sourceChunk, int readSize)
    {
        using var decoder = GzipDecoder.Open(new TrickleStream(gz, sourceChunk));
        var output = new MemoryStream();
        var buffer = new byte[readSize];
        int n;
        while ((n = decoder.Read(buffer)) > 0)
        {
            output.Write(buffer, 0, n);
        }

        return output.ToArray();
    }

    private static async Task<byte[]> ReferenceAsync(byte[] gz)
    {
        await using var reference = new GZipStream(new MemoryStream(gz), CompressionMode.Decompress);
        var output = new MemoryStream();
        await reference.CopyToAsync(output);
        return output.ToArray();
    }

    private static byte[] Gzip(byte[] data)
    {
        using var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true))
        {
            gz.Write(data);
        }

        return ms.ToArray();
    }

    // JSON-like text that compresses about as well as CloudTrail does (repeated names, varying values).
    private static byte[] Text(int length, int seed)
    {
        var random = new Random(seed);
        var words = new[] { "\"eventSource\":", "\"kms.amazonaws.com\",", "\"eventName\":\"Decrypt\",", "{\"accountId\":\"", "\"}," };
        var bytes = new byte[length];
        var i = 0;
        while (i < length)
        {
            var piece = random.Next(3) == 0
                ? random.Next().ToString("x8", System.Globalization.CultureInfo.InvariantCulture)
                : words[random.Next(words.Length)];
            for (var j = 0; j < piece.Length && i < length; j++)
            {
                bytes[i++] = (byte)piece[j];
            }
        }

        return bytes;
    }
}
