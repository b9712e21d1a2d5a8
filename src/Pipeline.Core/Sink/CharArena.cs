namespace Pipeline.Sink;

/// <summary>
/// Append-only storage for the text of a batch: values are decoded once into large shared chunks and referenced
/// by <see cref="StringRef"/>, so a row costs no string object per column. Chunks are never moved, so a
/// <see cref="ReadOnlyMemory{T}"/> over a stored value stays valid for the life of the arena.
/// </summary>
internal sealed class CharArena
{
    private const int FirstChunkChars = 4 * 1024;
    private const int MaxChunkChars = 512 * 1024;
    private readonly List<char[]> _chunks = [];
    private char[] _current = [];
    private int _currentIndex = -1;
    private int _position;

    /// <summary>Characters allocated in chunks, including slack and chunks kept for reuse.</summary>
    public long CapacityChars { get; private set; }

    /// <summary>Characters of the values stored since the last reset (plus the slack of the chunks they fill).</summary>
    public long UsedChars { get; private set; }

    /// <summary>Returns writable space for at least <paramref name="maxChars"/> characters.</summary>
    public Span<char> Reserve(int maxChars)
    {
        if (_current.Length - _position < maxChars)
        {
            // After Reset, chunks kept from earlier use are filled again before new ones are allocated.
            if (_currentIndex + 1 < _chunks.Count && _chunks[_currentIndex + 1].Length >= maxChars)
            {
                UsedChars += _current.Length - _position;
                _current = _chunks[++_currentIndex];
                _position = 0;
                return _current.AsSpan();
            }

            // Chunks grow with use, so the many batches holding a handful of rows stay small.
            var size = Math.Max(Math.Min(MaxChunkChars, Math.Max(FirstChunkChars, _current.Length * 2)), maxChars);
            UsedChars += _current.Length - _position;
            _current = System.Buffers.ArrayPool<char>.Shared.Rent(size);
            _chunks.Insert(++_currentIndex, _current);
            _position = 0;
            CapacityChars += _current.Length;
        }

        return _current.AsSpan(_position);
    }

    /// <summary>Keeps the first <paramref name="length"/> characters of the last reservation.</summary>
    public StringRef Commit(int length)
    {
        var r = new StringRef(_currentIndex, _position, length);
        _position += length;
        UsedChars += length;
        return r;
    }

    /// <summary>
    /// Gives the chunks back to the shared pool: the next batches reuse them instead of allocating new large arrays
    /// (which would pile up on the large-object heap). Nothing may read this arena afterwards.
    /// </summary>
    public void Release()
    {
        foreach (var chunk in _chunks)
        {
            System.Buffers.ArrayPool<char>.Shared.Return(chunk);
        }

        _chunks.Clear();
        _current = [];
        _currentIndex = -1;
        _position = 0;
        UsedChars = 0;
        CapacityChars = 0;
    }

    /// <summary>Forgets every stored value but keeps the chunks for reuse (no new large allocations for the next batch).</summary>
    public void Reset()
    {
        _currentIndex = _chunks.Count > 0 ? 0 : -1;
        _current = _chunks.Count > 0 ? _chunks[0] : [];
        _position = 0;
        UsedChars = 0;
    }

    public StringRef Add(ReadOnlySpan<char> value)
    {
        if (value.IsEmpty)
        {
            return StringRef.Empty;
        }

        value.CopyTo(Reserve(value.Length));
        return Commit(value.Length);
    }

    public ReadOnlyMemory<char> GetMemory(StringRef r) =>
        r.Length <= 0 ? ReadOnlyMemory<char>.Empty : new ReadOnlyMemory<char>(_chunks[r.Chunk], r.Offset, r.Length);

    public ReadOnlySpan<char> GetSpan(StringRef r) =>
        r.Length <= 0 ? [] : new ReadOnlySpan<char>(_chunks[r.Chunk], r.Offset, r.Length);
}

/// <summary>Location of a value in a <see cref="CharArena"/>; <see cref="IsNull"/> when the column is null.</summary>
internal readonly record struct StringRef(int Chunk, int Offset, int Length)
{
    public static readonly StringRef Null = new(0, 0, -1);

    public static readonly StringRef Empty = new(0, 0, 0);

    public bool IsNull => Length < 0;
}
