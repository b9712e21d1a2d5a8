namespace Pipeline.Sink;

/// <summary>
/// A small direct-mapped cache from UTF-8 bytes to a value already stored in a batch's arena. A miss or a collision
/// just stores the value again, so it needs no eviction policy and costs one hash and one compare per lookup. The
/// bytes are compared with the stored value itself, so the cache keeps no copies of its own.
/// </summary>
internal sealed class Utf8Interner
{
    public const int MaxKeyBytes = 256;
    private const int Size = 1024;
    private readonly StringRef[] _values = new StringRef[Size];
    private readonly int[] _generations = new int[Size];
    private int _generation = 1;

    /// <summary>Memory the cache holds: its two tables.</summary>
    public static long RetainedBytes => (Size * (12 + sizeof(int))) + 64;

    /// <summary>Forgets every entry (the stored values they point to are gone).</summary>
    public void Reset()
    {
        if (++_generation == int.MaxValue)
        {
            Array.Clear(_generations);
            _generation = 1;
        }
    }

    public bool TryGet(ReadOnlySpan<byte> utf8, Utf8Arena arena, out StringRef value, out int entry)
    {
        entry = Utf8Hash.Compute(utf8) & (Size - 1);
        if (_generations[entry] == _generation)
        {
            var stored = _values[entry];
            if (stored.Length == utf8.Length && arena.GetSpan(stored).SequenceEqual(utf8))
            {
                value = stored;
                return true;
            }
        }

        value = default;
        return false;
    }

    public void Set(int entry, StringRef value)
    {
        _generations[entry] = _generation;
        _values[entry] = value;
    }
}
