namespace Pipeline.Sink;

/// <summary>
/// A small direct-mapped cache from UTF-8 bytes to a value already stored in a batch's arena. A miss or a collision
/// just stores the value again, so it needs no eviction policy and costs one hash and one compare per lookup.
/// </summary>
internal sealed class Utf8Interner
{
    public const int MaxKeyBytes = 256;
    private const int ArrayHeaderBytes = 24;
    private const int Size = 1024;
    private readonly byte[]?[] _keys = new byte[Size][];
    private readonly int[] _lengths = new int[Size];
    private readonly StringRef[] _values = new StringRef[Size];
    private long _keyBytes;

    /// <summary>Memory the cache holds: its three tables and the key copies.</summary>
    public long RetainedBytes => (Size * (IntPtr.Size + sizeof(int) + (3 * sizeof(int)))) + _keyBytes;

    /// <summary>Forgets every entry (the stored values they point to are gone), keeping the key buffers for reuse.</summary>
    public void Reset() => Array.Fill(_lengths, -1);

    public bool TryGet(ReadOnlySpan<byte> utf8, out StringRef value, out int entry)
    {
        var hash = new HashCode();
        hash.AddBytes(utf8);
        entry = hash.ToHashCode() & (Size - 1);
        var key = _keys[entry];
        if (key is not null && _lengths[entry] == utf8.Length && key.AsSpan(0, utf8.Length).SequenceEqual(utf8))
        {
            value = _values[entry];
            return true;
        }

        value = default;
        return false;
    }

    public void Set(int entry, ReadOnlySpan<byte> utf8, StringRef value)
    {
        var key = _keys[entry];
        if (key is null || key.Length < utf8.Length)
        {
            key = new byte[Math.Max(32, utf8.Length)];
            _keyBytes += key.Length + ArrayHeaderBytes - (_keys[entry] is { } old ? old.Length + ArrayHeaderBytes : 0);
            _keys[entry] = key;
        }

        utf8.CopyTo(key);
        _lengths[entry] = utf8.Length;
        _values[entry] = value;
    }
}
