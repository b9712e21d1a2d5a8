using System.Buffers;

namespace Pipeline.Parsing;

/// <summary>
/// Read-only pass-through stream that counts the bytes its reader consumed from the inner stream (compressed bytes
/// in, and the offset that errors name). With <c>readAheadBytes</c> it also reads the inner stream in blocks of that
/// size into a pooled buffer, so that small reads (the format sniffing's first two bytes, plain JSON's transcoding,
/// <c>GZipStream</c>'s 8 KB where <see cref="GzipDecoder"/> falls back to it) do not each cost a system call and often a
/// thread-pool hop on a socket or an unbuffered file. A read of a whole block or more (<see cref="GzipDecoder"/>'s)
/// goes straight to the inner stream.
/// </summary>
internal sealed class CountingStream(Stream inner, bool leaveOpen = false, int readAheadBytes = 0) : ReadOnlyStream
{
    private byte[]? _buffer = readAheadBytes > 0 ? ArrayPool<byte>.Shared.Rent(readAheadBytes) : null;

    // A file opened for synchronous I/O queues each ReadAsync to the thread pool (a hop per read, and a local log file of
    // a few KB takes two reads); its reads, mostly from the page cache, are made on the calling thread instead.
    private readonly bool _readInline = inner is FileStream { IsAsync: false };
    private int _start;
    private int _end;

    public long BytesRead { get; private set; }

    public override long Position
    {
        get => BytesRead;
        set => throw new NotSupportedException();
    }

    public override int Read(Span<byte> buffer)
    {
        if (buffer.IsEmpty)
        {
            return 0;
        }

        if (_start == _end && (_buffer is null || buffer.Length >= _buffer.Length))
        {
            return Counted(inner.Read(buffer));
        }

        if (_start == _end)
        {
            _start = 0;
            _end = inner.Read(_buffer);
        }

        return Counted(TakeBuffered(buffer.Length, buffer));
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.IsEmpty)
        {
            return 0;
        }

        if (_start == _end && (_buffer is null || buffer.Length >= _buffer.Length))
        {
            return Counted(_readInline ? ReadInline(buffer.Span, cancellationToken) : await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false));
        }

        if (_start == _end)
        {
            _start = 0;
            _end = _readInline ? ReadInline(_buffer, cancellationToken) : await inner.ReadAsync(_buffer, cancellationToken).ConfigureAwait(false);
        }

        return Counted(TakeBuffered(buffer.Length, buffer.Span));
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            ReturnBuffer();
            if (!leaveOpen)
            {
                inner.Dispose();
            }
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        ReturnBuffer();
        if (!leaveOpen)
        {
            await inner.DisposeAsync().ConfigureAwait(false);
        }

        await base.DisposeAsync().ConfigureAwait(false);
    }

    // A read on the calling thread still honours cancellation before it starts, as the file's ReadAsync did.
    private int ReadInline(Span<byte> destination, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return inner.Read(destination);
    }

    private int TakeBuffered(int wanted, Span<byte> destination)
    {
        var n = Math.Min(wanted, _end - _start);
        _buffer.AsSpan(_start, n).CopyTo(destination);
        _start += n;
        return n;
    }

    private int Counted(int n)
    {
        BytesRead += n;
        return n;
    }

    private void ReturnBuffer()
    {
        if (_buffer is { } buffer)
        {
            _buffer = null;
            _start = _end = 0;
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
