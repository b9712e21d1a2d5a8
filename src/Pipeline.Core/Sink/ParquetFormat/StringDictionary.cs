using System.Buffers;
using System.Buffers.Binary;

namespace Pipeline.Sink.ParquetFormat;

/// <summary>
/// The distinct values of one column chunk, in first-seen order, for dictionary encoding: an open-addressing hash
/// table over a byte arena, reused from chunk to chunk.
/// </summary>
internal sealed class StringDictionary
{
    private byte[] _bytes = new byte[64 * 1024];
    private int[] _starts = new int[1024];
    private int[] _lengths = new int[1024];
    private int[] _hashes = new int[1024];
    private int[] _slots = new int[2048]; // index + 1; 0 = empty
    private int _used;

    // Direct-mapped cache from where a value is stored to its index: interned values of a batch share one storage
    // location, so most lookups are answered without hashing the bytes.
    private readonly KmsEventBatch?[] _cachedBatch = new KmsEventBatch?[CacheSize];
    private readonly StringRef[] _cachedRef = new StringRef[CacheSize];
    private readonly int[] _cachedIndex = new int[CacheSize];
    private const int CacheBits = 12;
    private const int CacheSize = 1 << CacheBits;

    public int Count { get; private set; }

    /// <summary>Bytes of the distinct values (what the dictionary page will hold, less the length prefixes).</summary>
    public int Bytes => _used;

    public void Clear()
    {
        if (Count > 0)
        {
            Array.Clear(_slots);
            Array.Clear(_cachedBatch);
        }

        Count = 0;
        _used = 0;
    }

    /// <summary>Returns the index of the value stored at <paramref name="reference"/> in <paramref name="batch"/>, adding it if it is new.</summary>
    public int Add(KmsEventBatch batch, StringRef reference, out bool added)
    {
        // A multiplicative mix of the location (not a hash of the bytes, which this cache exists to avoid): a collision
        // only costs a miss, so it need not resist crafted input.
        var mixed = ((uint)batch.Id * 0x9E3779B1u) ^ ((uint)reference.Chunk * 0x85EBCA77u) ^ ((uint)reference.Offset * 0xC2B2AE3Du);
        var slot = (int)(mixed >> (32 - CacheBits));
        if (ReferenceEquals(_cachedBatch[slot], batch) && _cachedRef[slot] == reference)
        {
            added = false;
            return _cachedIndex[slot];
        }

        var index = Add(batch.GetUtf8(reference), out added);
        _cachedBatch[slot] = batch;
        _cachedRef[slot] = reference;
        _cachedIndex[slot] = index;
        return index;
    }

    /// <summary>Returns the index of <paramref name="value"/>, adding it if it is new.</summary>
    public int Add(ReadOnlySpan<byte> value, out bool added)
    {
        var hash = Utf8Hash.Compute(value);
        var mask = _slots.Length - 1;
        var slot = hash & mask;
        while (true)
        {
            var entry = _slots[slot] - 1;
            if (entry < 0)
            {
                break;
            }

            if (_hashes[entry] == hash && value.SequenceEqual(_bytes.AsSpan(_starts[entry], _lengths[entry])))
            {
                added = false;
                return entry;
            }

            slot = (slot + 1) & mask;
        }

        added = true;
        var index = Count++;
        if (index == _starts.Length)
        {
            Array.Resize(ref _starts, index * 2);
            Array.Resize(ref _lengths, index * 2);
            Array.Resize(ref _hashes, index * 2);
        }

        if (_bytes.Length - _used < value.Length)
        {
            Array.Resize(ref _bytes, Math.Max(_bytes.Length * 2, _used + value.Length));
        }

        value.CopyTo(_bytes.AsSpan(_used));
        _starts[index] = _used;
        _lengths[index] = value.Length;
        _hashes[index] = hash;
        _used += value.Length;
        _slots[slot] = index + 1;
        if (Count * 2 > _slots.Length)
        {
            Rehash();
        }

        return index;
    }

    /// <summary>The bytes of the value with index <paramref name="index"/>.</summary>
    public ReadOnlySpan<byte> Value(int index) => _bytes.AsSpan(_starts[index], _lengths[index]);

    /// <summary>Writes the values PLAIN-encoded (4-byte little-endian length, then the bytes), in index order.</summary>
    public void WritePlain(IBufferWriter<byte> output)
    {
        for (var i = 0; i < Count; i++)
        {
            var length = _lengths[i];
            var span = output.GetSpan(length + 4);
            BinaryPrimitives.WriteInt32LittleEndian(span, length);
            _bytes.AsSpan(_starts[i], length).CopyTo(span[4..]);
            output.Advance(length + 4);
        }
    }

    private void Rehash()
    {
        _slots = new int[_slots.Length * 2];
        var mask = _slots.Length - 1;
        for (var i = 0; i < Count; i++)
        {
            var slot = _hashes[i] & mask;
            while (_slots[slot] != 0)
            {
                slot = (slot + 1) & mask;
            }

            _slots[slot] = i + 1;
        }
    }
}
