namespace Pipeline.Tests.Support;

/// <summary>Returns at most <c>chunk</c> bytes per read, like a slow network body or a socket.</summary>
internal sealed class TrickleStream(byte[] data, int chunk) : MemoryStream(data)
{
    public override int Read(byte[] buffer, int offset, int count) => base.Read(buffer, offset, Math.Min(count, chunk));

    public override int Read(Span<byte> buffer) => base.Read(buffer[..Math.Min(buffer.Length, chunk)]);

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        base.ReadAsync(buffer[..Math.Min(buffer.Length, chunk)], cancellationToken);
}
