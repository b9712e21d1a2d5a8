using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
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
    [InlineData(1)]
    [InlineData(1000)]
    public async Task Zero_padding_after_the_last_member_is_ignored(int zeros)
    {
        var data = Text(5000, 5);
        var gz = Gzip(data).Concat(new byte[zeros]).ToArray();

        Assert.Equal(data, await DecodeAsync(gz, int.MaxValue, 4096));
        Assert.Equal(data, await DecodeAsync(gz, 1, 4096));
    }

    // GZipStream drops these silently (or, split across reads, sometimes calls them truncation); a member whose header
    // was damaged looks exactly like this, and its records would be lost.
    [Theory]
    [InlineData(new byte[] { (byte)'x', 0x1f, 0x8b })]
    [InlineData(new byte[] { 0x1f, 0x00, 0x00 })]
    [InlineData(new byte[] { 0x1f, 0x00 })]
    [InlineData(new byte[] { 0x00, 0x1f })]
    [InlineData(new byte[] { 0x00, 0x00, (byte)'x' })]
    public async Task Other_bytes_after_the_last_member_are_refused_as_trailing_data(byte[] trailer)
    {
        var gz = Gzip(Text(5000, 5)).Concat(trailer).ToArray();

        foreach (var chunk in new[] { 1, 2, int.MaxValue })
        {
            var ex = await Assert.ThrowsAsync<InvalidDataException>(() => DecodeAsync(gz, chunk, 4096));
            Assert.True(GzipDecoder.IsTrailingData(ex), $"chunks of {chunk}: {ex.Message}");
            Assert.False(GzipDecoder.IsTruncation(ex));
        }
    }

    [Fact]
    public async Task A_member_with_a_damaged_header_after_the_first_is_reported_not_dropped()
    {
        var doc = Encoding.UTF8.GetBytes(CloudTrailRecords.Document(CloudTrailRecords.AssumedRoleDecrypt("a"), CloudTrailRecords.AssumedRoleDecrypt("b")));
        var second = Gzip(doc[(doc.Length / 2)..]);
        second[1] = 0x00; // the magic's second byte
        var body = Gzip(doc[..(doc.Length / 2)]).Concat(second).ToArray();

        var ex = await ReaderHarness.FailsAsync(body);

        Assert.Contains("neither another gzip member nor zero padding", ex.Reason, StringComparison.Ordinal);
        Assert.Contains("fetch the object again", ex.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Optional_header_fields_are_skipped_and_a_header_checksum_is_checked()
    {
        var data = Text(20_000, 8);
        var member = MemberWithEveryHeaderField(data, damageHeaderCrc: false);

        Assert.Equal(data, await DecodeAsync(member, 1, 4096));
        Assert.Equal(data, await DecodeAsync(member, int.MaxValue, 4096));
        Assert.Equal(data, await ReferenceAsync(member));

        var damaged = MemberWithEveryHeaderField(data, damageHeaderCrc: true);
        var ex = await Assert.ThrowsAsync<InvalidDataException>(() => DecodeAsync(damaged, int.MaxValue, 4096));
        Assert.False(GzipDecoder.IsTruncation(ex));
        await Assert.ThrowsAsync<InvalidDataException>(() => ReferenceAsync(damaged));
    }

    [Fact]
    public async Task Members_split_across_small_reads_reach_the_reader_whole_through_the_object_path()
    {
        var records = Enumerable.Range(0, 90).Select(i => i % 3 == 0 ? CloudTrailRecords.AssumedRoleDecrypt($"id-{i}") : CloudTrailRecords.Ec2Record($"x-{i}")).ToArray();
        var doc = Encoding.UTF8.GetBytes(CloudTrailRecords.Document(records));
        var body = Gzip(doc[..1000]).Concat(Gzip(doc[1000..5000])).Concat(Gzip(doc[5000..])).ToArray();
        var source = SourceContext.ForFile("members.json.gz", ReaderHarness.IngestTime);
        var collector = new KmsRecordCollector(source);
        await using var trickle = new TrickleStream(body, 3);

        var result = await CloudTrailObjectReader.ReadAsync(trickle, collector, source, null, CancellationToken.None);

        Assert.Equal(90, result.Records);
        Assert.Equal(30, result.KmsRecords);
        Assert.Equal(body.Length, result.CompressedBytes);
        Assert.Equal(doc.Length, result.DecompressedBytes);
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

    // A member with FTEXT, FHCRC, FEXTRA, FNAME and FCOMMENT set, which .NET never writes (RFC 1952, section 2.3).
    private static byte[] MemberWithEveryHeaderField(byte[] data, bool damageHeaderCrc)
    {
        var header = new List<byte> { 0x1f, 0x8b, 8, 0x1f, 0, 0, 0, 0, 0, 3 };
        header.AddRange([6, 0, (byte)'A', (byte)'B', 2, 0, 1, 2]); // XLEN 6: one subfield "AB" of 2 bytes
        header.AddRange(Encoding.Latin1.GetBytes("cloudtrail.json\0"));
        header.AddRange(Encoding.Latin1.GetBytes("a comment\0"));
        var headerCrc = (ushort)System.IO.Hashing.Crc32.HashToUInt32(header.ToArray());
        if (damageHeaderCrc)
        {
            headerCrc ^= 1;
        }

        header.Add((byte)headerCrc);
        header.Add((byte)(headerCrc >> 8));
        using var body = new MemoryStream();
        using (var deflate = new DeflateStream(body, CompressionLevel.Fastest, leaveOpen: true))
        {
            deflate.Write(data);
        }

        var trailer = new byte[8];
        BinaryPrimitives.WriteUInt32LittleEndian(trailer, System.IO.Hashing.Crc32.HashToUInt32(data));
        BinaryPrimitives.WriteUInt32LittleEndian(trailer.AsSpan(4), (uint)data.Length);
        return [.. header, .. body.ToArray(), .. trailer];
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
