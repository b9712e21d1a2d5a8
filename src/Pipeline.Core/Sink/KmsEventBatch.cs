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
    private const int InitialCapacity = 8;
    private readonly Utf8Arena _arena = new();
    private Utf8Interner? _interner;
    private StringRef[][] _strings;
    private DateTime[][] _timestamps;
    private bool?[][] _booleans;
    private int?[][] _int32s;
    private int[] _eventDay;
    private int _capacity;

    public KmsEventBatch()
    {
        _capacity = InitialCapacity;
        _strings = NewColumns<StringRef>(KmsSchema.StringCount, _capacity);
        _timestamps = NewColumns<DateTime>(KmsSchema.TimestampCount, _capacity);
        _booleans = NewColumns<bool?>(KmsSchema.BooleanCount, _capacity);
        _int32s = NewColumns<int?>(KmsSchema.Int32Count, _capacity);
        _eventDay = new int[_capacity];
    }

    public int Count { get; private set; }

    /// <summary>Rows the column arrays hold without growing.</summary>
    public int Capacity => _capacity;

    /// <summary>Approximate size of the rows held (their text plus per-row cells): when a large object spills.</summary>
    public long EstimatedBytes =>
        _arena.UsedBytes + ((long)Count * ((KmsSchema.StringCount * 12) + (KmsSchema.TimestampCount * 8) + 32));

    /// <summary>
    /// Memory the batch holds until it is released: its text chunks, its column arrays at their capacity and its
    /// interner. For the few dozen rows of a typical CloudTrail file this is several times <see cref="EstimatedBytes"/>
    /// (the arrays and the interner are mostly fixed cost), so buffers of many small sources are bounded by this.
    /// </summary>
    public long RetainedBytes =>
        _arena.CapacityBytes
        + ((long)_capacity * BytesPerRowSlot)
        + FixedBytes
        + (_interner?.RetainedBytes ?? 0);

    // One row slot across every column array: StringRef (3 ints), DateTime, bool?, int?, and the event day.
    private const int BytesPerRowSlot = (KmsSchema.StringCount * 12) + (KmsSchema.TimestampCount * 8) + (KmsSchema.BooleanCount * 2) + (KmsSchema.Int32Count * 8) + sizeof(int);

    // Object and array headers of the batch, its arena and its column arrays.
    private const int FixedBytes = 256 + ((KmsSchema.StringCount + KmsSchema.TimestampCount + KmsSchema.BooleanCount + KmsSchema.Int32Count + 5) * 32);

    /// <summary>Starts a new row whose columns are all null; returns its index.</summary>
    public int AddRow()
    {
        if (Count == _capacity)
        {
            Grow();
        }

        var row = Count++;
        for (var c = 0; c < _strings.Length; c++)
        {
            _strings[c][row] = StringRef.Null;
        }

        for (var c = 0; c < _booleans.Length; c++)
        {
            _booleans[c][row] = null;
        }

        for (var c = 0; c < _int32s.Length; c++)
        {
            _int32s[c][row] = null;
        }

        return row;
    }

    /// <summary>Empties the batch for reuse, keeping its arrays and text chunks, so refilling it allocates nothing large.</summary>
    public void Clear()
    {
        Count = 0;
        _arena.Reset();
        _interner?.Reset();
    }

    /// <summary>Returns the batch's text storage to the shared pool once its rows are written; the batch is empty afterwards.</summary>
    public void Release()
    {
        Count = 0;
        _arena.Release();
        _interner?.Reset();
    }

    /// <summary>Stores UTF-8 text as is; bytes that are not valid UTF-8 become U+FFFD, as a Parquet STRING must be valid.</summary>
    public void SetUtf8(int slot, int row, ReadOnlySpan<byte> utf8)
    {
        if (utf8.IsEmpty)
        {
            _strings[slot][row] = StringRef.Empty;
            return;
        }

        _strings[slot][row] = Utf8.IsValid(utf8) ? _arena.Add(utf8) : AddChars(Encoding.UTF8.GetString(utf8));
    }

    /// <summary>
    /// Like <see cref="SetUtf8"/> for values that repeat across rows (event names, regions, accounts, ARNs): a
    /// repeated value is stored once per batch, and equal values share one <see cref="StringRef"/>.
    /// </summary>
    public void SetUtf8Interned(int slot, int row, ReadOnlySpan<byte> utf8)
    {
        if (utf8.Length > Utf8Interner.MaxKeyBytes)
        {
            SetUtf8(slot, row, utf8);
            return;
        }

        _interner ??= new Utf8Interner();
        if (!_interner.TryGet(utf8, out var value, out var entry))
        {
            SetUtf8(slot, row, utf8);
            value = _strings[slot][row];
            _interner.Set(entry, utf8, value);
        }

        _strings[slot][row] = value;
    }

    public void SetChars(int slot, int row, ReadOnlySpan<char> value) => _strings[slot][row] = AddChars(value);

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
        _strings[slot][row] = _arena.Commit(written + utf8.Length);
    }

    /// <summary>Makes <paramref name="slot"/> share the value of <paramref name="fromSlot"/> in the same row.</summary>
    public void CopyString(int slot, int fromSlot, int row) => _strings[slot][row] = _strings[fromSlot][row];

    /// <summary>Stores text once for reuse in many rows through <see cref="SetStringRef"/> (e.g. the source object's key).</summary>
    public StringRef AddText(ReadOnlySpan<char> value) => AddChars(value);

    public void SetStringRef(int slot, int row, StringRef value) => _strings[slot][row] = value;

    public bool IsNull(int slot, int row) => _strings[slot][row].IsNull;

    /// <summary>The stored UTF-8 bytes of a value (empty for null; check <see cref="IsNull"/>).</summary>
    public ReadOnlySpan<byte> GetUtf8(int slot, int row) => _arena.GetSpan(_strings[slot][row]);

    /// <summary>The stored UTF-8 bytes at <paramref name="reference"/> (from <see cref="GetRef"/>).</summary>
    public ReadOnlySpan<byte> GetUtf8(StringRef reference) => _arena.GetSpan(reference);

    /// <summary>Where a value is stored: equal references mean equal values (interned values share one).</summary>
    public StringRef GetRef(int slot, int row) => _strings[slot][row];

    public string? GetString(int slot, int row)
    {
        var r = _strings[slot][row];
        return r.IsNull ? null : Encoding.UTF8.GetString(_arena.GetSpan(r));
    }

    public void SetTimestamp(int slot, int row, DateTime utc) => _timestamps[slot][row] = utc;

    public DateTime GetTimestamp(int slot, int row) => _timestamps[slot][row];

    public void SetBoolean(int slot, int row, bool? value) => _booleans[slot][row] = value;

    public bool? GetBoolean(int slot, int row) => _booleans[slot][row];

    public void SetInt32(int slot, int row, int? value) => _int32s[slot][row] = value;

    public int? GetInt32(int slot, int row) => _int32s[slot][row];

    /// <summary>Partition of the row: days since 0001-01-01 of <c>event_time</c> in UTC (<see cref="DateOnly.DayNumber"/>).</summary>
    public void SetEventDay(int row, int dayNumber) => _eventDay[row] = dayNumber;

    public int GetEventDay(int row) => _eventDay[row];

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

    private static T[][] NewColumns<T>(int columns, int capacity)
    {
        var result = new T[columns][];
        for (var i = 0; i < columns; i++)
        {
            result[i] = new T[capacity];
        }

        return result;
    }

    private void Grow()
    {
        _capacity *= 2;
        GrowAll(_strings, _capacity);
        GrowAll(_timestamps, _capacity);
        GrowAll(_booleans, _capacity);
        GrowAll(_int32s, _capacity);
        Array.Resize(ref _eventDay, _capacity);
    }

    private static void GrowAll<T>(T[][] columns, int capacity)
    {
        for (var i = 0; i < columns.Length; i++)
        {
            Array.Resize(ref columns[i], capacity);
        }
    }
}
