using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Pipeline.Sink;

/// <summary>
/// Append-only storage for the text of a batch, kept as UTF-8 exactly as CloudTrail wrote it: values are copied
/// once into fixed-size chunks from <see cref="BatchMemory"/> and referenced by <see cref="StringRef"/>, so a row
/// costs no string object per column and the Parquet writer copies the bytes out without transcoding. Chunks never
/// move, so a span over a stored value stays valid until <see cref="Reset"/> or <see cref="Release"/>.
/// </summary>
internal sealed class Utf8Arena
{
    private readonly List<byte[]> _chunks = [];
    private byte[] _current = [];
    private int _currentIndex = -1;
    private int _position;

    /// <summary>Bytes allocated in chunks, including slack and chunks kept for reuse.</summary>
    public long CapacityBytes { get; private set; }

    /// <summary>Bytes of the values stored since the last reset (plus the slack of the chunks they fill).</summary>
    public long UsedBytes { get; private set; }

    /// <summary>Returns writable space for at least <paramref name="maxBytes"/> bytes.</summary>
    public Span<byte> Reserve(int maxBytes)
    {
        if (_current.Length - _position < maxBytes)
        {
            // After Reset, chunks kept from earlier use are filled again before new ones are allocated.
            if (_currentIndex + 1 < _chunks.Count && _chunks[_currentIndex + 1].Length >= maxBytes)
            {
                UsedBytes += _current.Length - _position;
                _current = _chunks[++_currentIndex];
                _position = 0;
                return _current.AsSpan();
            }

            // A value larger than a chunk (rare: a huge request parameter) gets an array of its own.
            UsedBytes += _current.Length - _position;
            _current = maxBytes <= BatchMemory.ChunkBytes ? BatchMemory.RentChunk() : new byte[maxBytes];
            _chunks.Insert(++_currentIndex, _current);
            _position = 0;
            CapacityBytes += _current.Length;
        }

        return _current.AsSpan(_position);
    }

    /// <summary>Keeps the first <paramref name="length"/> bytes of the last reservation.</summary>
    public StringRef Commit(int length)
    {
        var r = new StringRef(_currentIndex, _position, length);
        _position += length;
        UsedBytes += length;
        return r;
    }

    /// <summary>
    /// Gives the chunks back to <see cref="BatchMemory"/>: the next batches reuse them instead of allocating new
    /// arrays. Nothing may read this arena afterwards.
    /// </summary>
    public void Release()
    {
        foreach (var chunk in _chunks)
        {
            BatchMemory.ReturnChunk(chunk);
        }

        _chunks.Clear();
        _current = [];
        _currentIndex = -1;
        _position = 0;
        UsedBytes = 0;
        CapacityBytes = 0;
    }

    /// <summary>Forgets every stored value but keeps the chunks for reuse (no new large allocations for the next batch).</summary>
    public void Reset()
    {
        _currentIndex = _chunks.Count > 0 ? 0 : -1;
        _current = _chunks.Count > 0 ? _chunks[0] : [];
        _position = 0;
        UsedBytes = 0;
    }

    public StringRef Add(ReadOnlySpan<byte> utf8)
    {
        if (utf8.IsEmpty)
        {
            return StringRef.Empty;
        }

        SmallCopy.To(utf8, Reserve(utf8.Length));
        return Commit(utf8.Length);
    }

    public ReadOnlySpan<byte> GetSpan(StringRef r) =>
        r.Length <= 0 ? [] : new ReadOnlySpan<byte>(_chunks[r.Chunk], r.Offset, r.Length);

    /// <summary>Starts loading a stored value into the cache (see <see cref="CachePrefetch"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Prefetch(StringRef r)
    {
        var chunks = CollectionsMarshal.AsSpan(_chunks);
        if (r.Length > 0 && (uint)r.Chunk < (uint)chunks.Length)
        {
            CachePrefetch.HeaderAndRange(chunks[r.Chunk], r.Offset, r.Length);
        }
    }
}

/// <summary>Location of a value in a <see cref="Utf8Arena"/>; <see cref="IsNull"/> when the column is null.</summary>
internal readonly record struct StringRef(int Chunk, int Offset, int Length)
{
    public static readonly StringRef Null = new(0, 0, -1);

    public static readonly StringRef Empty = new(0, 0, 0);

    public bool IsNull => Length < 0;
}
