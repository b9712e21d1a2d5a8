using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Unicode;

namespace Pipeline.Sink;

/// <summary>
/// Column-oriented rows of the <c>kms_events</c> dataset, as produced by the projection and consumed by the
/// Parquet writer without an intermediate row object. Not thread-safe: one producer fills it, then it is handed
/// over whole.
/// </summary>
internal sealed class KmsEventBatch
{
    private readonly Utf8Arena _arena = new();
    private Utf8Interner? _interner;
    private RowBlock[] _blocks = [];

    // Each block's string cells, also reachable through _blocks: the Parquet writer reads string cells of rows in key
    // order, and going through the block object would be one more load from memory per value.
    private StringRef[][] _stringBlocks = [];
    private int _blockCount;

    private static int s_lastId;

    public int Count { get; private set; }

    /// <summary>A number no other batch of the process has: a cheap hash key for caches keyed by where a value is stored.</summary>
    public int Id { get; } = Interlocked.Increment(ref s_lastId);

    /// <summary>Rows the batch holds without taking another block.</summary>
    public int Capacity => _blockCount * RowBlock.Rows;

    /// <summary>Approximate size of the rows held (their text plus per-row cells): when a large object spills.</summary>
    public long EstimatedBytes =>
        _arena.UsedBytes + ((long)Count * ((KmsSchema.StringCount * 12) + (KmsSchema.TimestampCount * 8) + 32));

    /// <summary>
    /// Memory the batch holds until it is released: its text chunks, its row blocks and its interner. For the few
    /// dozen rows of a typical CloudTrail file this is several times <see cref="EstimatedBytes"/> (a block and a
    /// chunk are the minimum), so buffers of many small sources are bounded by this.
    /// </summary>
    public long RetainedBytes =>
        _arena.CapacityBytes
        + ((long)_blockCount * RowBlock.Bytes)
        + FixedBytes
        + (_interner is null ? 0 : Utf8Interner.RetainedBytes);

    // Object headers of the batch, its arena and their lists.
    private const int FixedBytes = 256;

    /// <summary>Starts a new row whose columns are all null; returns its index.</summary>
    public int AddRow()
    {
        var row = Count;
        var b = row >> RowBlock.Shift;
        if (b == _blockCount)
        {
            if (b == _blocks.Length)
            {
                Array.Resize(ref _blocks, Math.Max(4, b * 2));
                Array.Resize(ref _stringBlocks, _blocks.Length);
            }

            _blocks[b] = BatchMemory.RentBlock();
            _stringBlocks[b] = _blocks[b].Strings;
            _blockCount++;
        }

        Count++;
        var block = _blocks[b];
        var r = row & RowBlock.Mask;
        for (var c = r; c < block.Strings.Length; c += RowBlock.Rows)
        {
            block.Strings[c] = StringRef.Null;
        }

        for (var c = r; c < block.Booleans.Length; c += RowBlock.Rows)
        {
            block.Booleans[c] = null;
        }

        for (var c = r; c < block.Int32s.Length; c += RowBlock.Rows)
        {
            block.Int32s[c] = null;
        }

        // Blocks are reused: every cell of the new row starts empty, as in a new array.
        for (var c = r; c < block.Timestamps.Length; c += RowBlock.Rows)
        {
            block.Timestamps[c] = default;
        }

        block.EventDay[r] = 0;
        return row;
    }

    /// <summary>
    /// Changes whenever the batch is emptied (<see cref="Clear"/>, <see cref="Release"/>): text references taken before
    /// (<see cref="AddText"/>) point into storage that is reused, so a holder of such references checks this first.
    /// </summary>
    public int Generation { get; private set; }

    /// <summary>Empties the batch for reuse, keeping its blocks and text chunks, so refilling it allocates nothing.</summary>
    public void Clear()
    {
        Generation++;
        Count = 0;
        _arena.Reset();
        _interner?.Reset();
    }

    /// <summary>
    /// Gives the row blocks and text chunks back to <see cref="BatchMemory"/> once the rows are written; the batch is
    /// empty afterwards and nothing read from it before may be used.
    /// </summary>
    public void Release()
    {
        Generation++;
        Count = 0;
        for (var i = 0; i < _blockCount; i++)
        {
            BatchMemory.ReturnBlock(_blocks[i]);
            _blocks[i] = null!;
            _stringBlocks[i] = null!;
        }

        _blockCount = 0;
        _arena.Release();
        _interner?.Reset();
    }

    /// <summary>
    /// Appends every row of <paramref name="source"/>, its text copied into this batch's storage (values up to
    /// <see cref="Utf8Interner.MaxKeyBytes"/> through the interner, so names, regions and ARNs repeated across the
    /// sources gathered here are stored once); <paramref name="source"/> is left as it was. Returns the first new row.
    /// </summary>
    public int AppendRowsOf(KmsEventBatch source)
    {
        var first = Count;
        for (var row = 0; row < source.Count; row++)
        {
            var to = AddRow();
            var from = source.Block(row);
            var into = Block(to);
            var fr = row & RowBlock.Mask;
            var tr = to & RowBlock.Mask;
            for (var slot = 0; slot < KmsSchema.StringCount; slot++)
            {
                var value = from.Strings[(slot << RowBlock.Shift) | fr];
                into.Strings[(slot << RowBlock.Shift) | tr] = value.Length <= 0 ? value : CopyValidUtf8(source._arena.GetSpan(value));
            }

            for (var slot = 0; slot < KmsSchema.TimestampCount; slot++)
            {
                into.Timestamps[(slot << RowBlock.Shift) | tr] = from.Timestamps[(slot << RowBlock.Shift) | fr];
            }

            for (var slot = 0; slot < KmsSchema.BooleanCount; slot++)
            {
                into.Booleans[(slot << RowBlock.Shift) | tr] = from.Booleans[(slot << RowBlock.Shift) | fr];
            }

            for (var slot = 0; slot < KmsSchema.Int32Count; slot++)
            {
                into.Int32s[(slot << RowBlock.Shift) | tr] = from.Int32s[(slot << RowBlock.Shift) | fr];
            }

            into.EventDay[tr] = from.EventDay[fr];
        }

        return first;
    }

    // Text taken from another batch, which stores only valid UTF-8.
    private StringRef CopyValidUtf8(ReadOnlySpan<byte> utf8)
    {
        if (utf8.Length > Utf8Interner.MaxKeyBytes)
        {
            return _arena.Add(utf8);
        }

        _interner ??= new Utf8Interner();
        if (_interner.TryGet(utf8, _arena, out var value, out var entry))
        {
            return value;
        }

        value = _arena.Add(utf8);
        _interner.Set(entry, value);
        return value;
    }

    /// <summary>
    /// Stores UTF-8 text as is; bytes that are not valid UTF-8 become U+FFFD, as a Parquet STRING must be valid.
    /// <paramref name="knownValid"/> skips the check for text the caller has validated already (the projection, whose
    /// values all come from a record checked as a whole).
    /// </summary>
    public void SetUtf8(int slot, int row, ReadOnlySpan<byte> utf8, bool knownValid = false)
    {
        if (utf8.IsEmpty)
        {
            StringCell(slot, row) = StringRef.Empty;
            return;
        }

        Debug.Assert(!knownValid || Utf8.IsValid(utf8), "text passed as valid UTF-8 is not");
        StringCell(slot, row) = knownValid || Utf8.IsValid(utf8) ? _arena.Add(utf8) : AddChars(Encoding.UTF8.GetString(utf8));
    }

    /// <summary>
    /// Like <see cref="SetUtf8"/> for values that repeat across rows (event names, regions, accounts, ARNs): a
    /// repeated value is stored once per batch, and equal values share one <see cref="StringRef"/>.
    /// </summary>
    public void SetUtf8Interned(int slot, int row, ReadOnlySpan<byte> utf8, bool knownValid = false)
    {
        if (utf8.Length > Utf8Interner.MaxKeyBytes)
        {
            SetUtf8(slot, row, utf8, knownValid);
            return;
        }

        _interner ??= new Utf8Interner();
        if (!_interner.TryGet(utf8, _arena, out var value, out var entry))
        {
            SetUtf8(slot, row, utf8, knownValid);
            value = StringCell(slot, row);
            _interner.Set(entry, value);
        }

        StringCell(slot, row) = value;
    }

    public void SetChars(int slot, int row, ReadOnlySpan<char> value) => StringCell(slot, row) = AddChars(value);

    /// <summary>Stores <paramref name="prefix"/> followed by the UTF-8 text <paramref name="utf8"/> as one value.</summary>
    public void SetConcat(int slot, int row, ReadOnlySpan<char> prefix, ReadOnlySpan<byte> utf8)
    {
        if (!Utf8.IsValid(utf8))
        {
            SetChars(slot, row, string.Concat(prefix, Encoding.UTF8.GetString(utf8)));
            return;
        }

        var span = _arena.Reserve(Encoding.UTF8.GetMaxByteCount(prefix.Length) + utf8.Length);
        var written = Encoding.UTF8.GetBytes(prefix, span);
        utf8.CopyTo(span[written..]);
        StringCell(slot, row) = _arena.Commit(written + utf8.Length);
    }

    /// <summary>Makes <paramref name="slot"/> share the value of <paramref name="fromSlot"/> in the same row.</summary>
    public void CopyString(int slot, int fromSlot, int row) => StringCell(slot, row) = StringCell(fromSlot, row);

    /// <summary>Stores text once for reuse in many rows through <see cref="SetStringRef"/> (e.g. the source object's key).</summary>
    public StringRef AddText(ReadOnlySpan<char> value) => AddChars(value);

    public void SetStringRef(int slot, int row, StringRef value) => StringCell(slot, row) = value;

    public bool IsNull(int slot, int row) => StringCell(slot, row).IsNull;

    /// <summary>The stored UTF-8 bytes of a value (empty for null; check <see cref="IsNull"/>).</summary>
    public ReadOnlySpan<byte> GetUtf8(int slot, int row) => _arena.GetSpan(StringCell(slot, row));

    /// <summary>The stored UTF-8 bytes at <paramref name="reference"/> (from <see cref="GetRef"/>).</summary>
    public ReadOnlySpan<byte> GetUtf8(StringRef reference) => _arena.GetSpan(reference);

    /// <summary>Where a value is stored: equal references mean equal values (interned values share one).</summary>
    public StringRef GetRef(int slot, int row) => StringCell(slot, row);

    /// <summary>
    /// Starts loading a row's value into the cache ahead of its use (<see cref="CachePrefetch"/>); its cell should
    /// have been requested earlier with <see cref="PrefetchRef"/>, as it is read here.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void PrefetchValue(int slot, int row) => _arena.Prefetch(StringCell(slot, row));

    /// <summary>Starts loading the cell that says where a row's value is stored.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void PrefetchRef(int slot, int row)
    {
        var b = row >> RowBlock.Shift;
        if ((uint)b < (uint)_blockCount)
        {
            CachePrefetch.HeaderAndRange(_stringBlocks[b], Cell(slot, row) * Unsafe.SizeOf<StringRef>(), Unsafe.SizeOf<StringRef>());
        }
    }

    public string? GetString(int slot, int row)
    {
        var r = StringCell(slot, row);
        return r.IsNull ? null : Encoding.UTF8.GetString(_arena.GetSpan(r));
    }

    public void SetTimestamp(int slot, int row, DateTime utc) => Block(row).Timestamps[Cell(slot, row)] = utc;

    public DateTime GetTimestamp(int slot, int row) => Block(row).Timestamps[Cell(slot, row)];

    public void SetBoolean(int slot, int row, bool? value) => Block(row).Booleans[Cell(slot, row)] = value;

    public bool? GetBoolean(int slot, int row) => Block(row).Booleans[Cell(slot, row)];

    public void SetInt32(int slot, int row, int? value) => Block(row).Int32s[Cell(slot, row)] = value;

    public int? GetInt32(int slot, int row) => Block(row).Int32s[Cell(slot, row)];

    /// <summary>Partition of the row: days since 0001-01-01 of <c>event_time</c> in UTC (<see cref="DateOnly.DayNumber"/>).</summary>
    public void SetEventDay(int row, int dayNumber) => Block(row).EventDay[row & RowBlock.Mask] = dayNumber;

    public int GetEventDay(int row) => Block(row).EventDay[row & RowBlock.Mask];

    private StringRef AddChars(ReadOnlySpan<char> value)
    {
        if (value.IsEmpty)
        {
            return StringRef.Empty;
        }

        // Lone surrogates become U+FFFD (the encoder's replacement fallback), so stored text is always valid UTF-8.
        var span = _arena.Reserve(Encoding.UTF8.GetMaxByteCount(value.Length));
        return _arena.Commit(Encoding.UTF8.GetBytes(value, span));
    }

    private static int Cell(int slot, int row) => (slot << RowBlock.Shift) | (row & RowBlock.Mask);

    private RowBlock Block(int row) => _blocks[row >> RowBlock.Shift];

    private ref StringRef StringCell(int slot, int row) => ref _stringBlocks[row >> RowBlock.Shift][Cell(slot, row)];
}
