using Pipeline.Parsing;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Parsing;

public sealed class CountingStreamTests
{
    private const int Block = 128 * 1024;

    [Fact]
    public async Task Counts_the_bytes_its_reader_consumed_not_the_block_read_ahead()
    {
        var data = RandomBytes(300_000, seed: 1);
        var inner = new MemoryStream(data);
        await using var counting = new CountingStream(inner, leaveOpen: true, Block);

        var first = new byte[10];
        Assert.Equal(10, await counting.ReadAsync(first));

        Assert.Equal(10, counting.BytesRead);
        Assert.Equal(Block, inner.Position);
        Assert.Equal(data[..10], first);
    }

    [Fact]
    public async Task Reads_of_a_block_or_more_go_straight_to_the_inner_stream()
    {
        var data = RandomBytes(3 * Block, seed: 2);
        var inner = new MemoryStream(data);
        await using var counting = new CountingStream(inner, leaveOpen: true, Block);

        var big = new byte[2 * Block];
        var n = await counting.ReadAsync(big);

        Assert.Equal(2 * Block, n);
        Assert.Equal(2 * Block, inner.Position);
        Assert.Equal(data[..(2 * Block)], big);
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(Block, 1)]
    [InlineData(Block, 7)]
    [InlineData(4096, 977)]
    public async Task Any_mix_of_read_sizes_yields_the_inner_bytes_in_order(int readAhead, int innerChunk)
    {
        var data = RandomBytes(700_001, seed: readAhead + innerChunk);
        await using var counting = new CountingStream(new TrickleStream(data, innerChunk), leaveOpen: false, readAhead);
        var random = new Random(innerChunk);
        var output = new MemoryStream();
        var buffer = new byte[3 * Block];
        while (true)
        {
            var size = random.Next(4) switch { 0 => 1, 1 => random.Next(1, 9000), 2 => 8192, _ => random.Next(Block, buffer.Length) };
            var n = random.Next(2) == 0
                ? await counting.ReadAsync(buffer.AsMemory(0, size))
                : counting.Read(buffer, 0, size);
            if (n == 0)
            {
                break;
            }

            output.Write(buffer, 0, n);
            Assert.Equal(output.Length, counting.BytesRead);
        }

        Assert.Equal(data, output.ToArray());
    }

    // A local file opened for synchronous reads is read on the calling thread; cancellation must still stop the read
    // (found in review: an uncompressed .json log was read to its end after Ctrl+C).
    [Theory]
    [InlineData(16)]
    [InlineData(Block)]
    public async Task A_local_file_read_on_the_calling_thread_still_honours_cancellation(int readSize)
    {
        var path = Path.Combine(Path.GetTempPath(), "counting-" + Guid.NewGuid().ToString("N"));
        await File.WriteAllBytesAsync(path, RandomBytes(3 * Block, seed: 5));
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0, FileOptions.SequentialScan);
            await using var counting = new CountingStream(file, leaveOpen: true, Block);
            var buffer = new byte[readSize];
            Assert.Equal(readSize, await counting.ReadAsync(buffer));

            using var cts = new CancellationTokenSource();
            await cts.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
            {
                while (await counting.ReadAsync(buffer, cts.Token) > 0)
                {
                }
            });
            Assert.True(counting.BytesRead < 3 * Block, $"{counting.BytesRead} bytes read after the cancellation");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task A_failing_inner_stream_fails_the_read_after_the_bytes_it_delivered()
    {
        var data = RandomBytes(50_000, seed: 3);
        await using var counting = new CountingStream(new FailingAfterStream(data), leaveOpen: false, Block);
        var buffer = new byte[8192];
        var total = 0;
        var ex = await Assert.ThrowsAsync<IOException>(async () =>
        {
            while (true)
            {
                var n = await counting.ReadAsync(buffer);
                total += n;
            }
        });

        Assert.Equal("connection reset", ex.Message);
        Assert.Equal(data.Length, total);
        Assert.Equal(data.Length, counting.BytesRead);
    }

    private static byte[] RandomBytes(int length, int seed)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }

    /// <summary>Delivers its bytes, then throws like a body whose connection was reset.</summary>
    private sealed class FailingAfterStream(byte[] data) : MemoryStream(data)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Position == Length ? throw new IOException("connection reset") : base.ReadAsync(buffer, cancellationToken);

        public override int Read(Span<byte> buffer) => Position == Length ? throw new IOException("connection reset") : base.Read(buffer);
    }
}
