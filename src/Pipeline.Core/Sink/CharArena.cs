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
    private int _position;

    /// <summary>Characters held, including slack at the end of chunks; used for memory accounting.</summary>
    public long CapacityChars { get; private set; }

    /// <summary>Returns writable space for at least <paramref name="maxChars"/> characters.</summary>
    public Span<char> Reserve(int maxChars)
    {
        if (_current.Length - _position < maxChars)
        {
            // Chunks grow with use, so the many batches holding a handful of rows stay small.
            var size = Math.Max(Math.Min(MaxChunkChars, Math.Max(FirstChunkChars, _current.Length * 2)), maxChars);
            _current = GC.AllocateUninitializedArray<char>(size);
            _chunks.Add(_current);
            _position = 0;
            CapacityChars += size;
        }

        return _current.AsSpan(_position);
    }

    /// <summary>Keeps the first <paramref name="length"/> characters of the last reservation.</summary>
    public StringRef Commit(int length)
    {
        var r = new StringRef(_chunks.Count - 1, _position, length);
        _position += length;
        return r;
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
