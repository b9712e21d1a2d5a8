using Pipeline.Sink.ParquetFormat;

namespace Pipeline.Sink;

/// <summary>
/// Puts rows in file order (<see cref="RowRefComparer"/>: key_arn with nulls last, event_time, event_id) through
/// precomputed sort keys: each distinct key ARN is ranked once, so the sort never compares two ARNs' bytes, reached
/// through their batches; rank and time go into one 64-bit number per row when they fit (a partition's day always
/// does: <see cref="SortPacked"/>), otherwise into a structure compared field by field; event ids are read only for
/// ties. Not thread-safe; its buffers are reused from one sort to the next.
/// </summary>
internal sealed class RowSorter
{
    private readonly StringDictionary _keyArns = new();
    private SortKey[] _keys = [];
    private int[] _distinctIndex = [];
    private int[] _rankOfDistinct = [];
    private int[] _byValue = [];
    private long[] _ticks = [];
    private ulong[] _packed = [];
    private int[] _order = [];
    private RowRef[] _original = [];
    private EventIdOrder? _eventIdOrder;

    private const int TickBits = 40;
    private const ulong MaxPackedTicks = 1UL << TickBits;
    private const int MaxPackedRanks = (1 << (64 - TickBits - 1)) - 1; // ranks and the null rank below 2^23

    /// <summary>Sorts <paramref name="rows"/> in place.</summary>
    public void Sort(Span<RowRef> rows)
    {
        if (rows.Length < 2)
        {
            return;
        }

        _keyArns.Clear();
        Grow(ref _keys, rows.Length);
        Grow(ref _distinctIndex, rows.Length);
        for (var i = 0; i < rows.Length; i++)
        {
            var r = rows[i];
            var reference = r.Batch.GetRef(KmsSchema.KeyArn, r.Row);
            _distinctIndex[i] = reference.IsNull ? -1 : _keyArns.Add(r.Batch, reference, out _);
        }

        // Rank the distinct ARNs by their bytes (ordinal, as the comparer orders them); nulls go last.
        var distinct = _keyArns.Count;
        Grow(ref _byValue, distinct);
        Grow(ref _rankOfDistinct, distinct);
        for (var d = 0; d < distinct; d++)
        {
            _byValue[d] = d;
        }

        _byValue.AsSpan(0, distinct).Sort(new ValueOrder(_keyArns));
        for (var rank = 0; rank < distinct; rank++)
        {
            _rankOfDistinct[_byValue[rank]] = rank;
        }

        Grow(ref _ticks, rows.Length);
        long minTicks = long.MaxValue, maxTicks = long.MinValue;
        for (var i = 0; i < rows.Length; i++)
        {
            var r = rows[i];
            var ticks = r.Batch.GetTimestamp(KmsSchema.EventTime, r.Row).Ticks;
            _ticks[i] = ticks;
            minTicks = Math.Min(minTicks, ticks);
            maxTicks = Math.Max(maxTicks, ticks);
        }

        if (distinct < MaxPackedRanks && (ulong)(maxTicks - minTicks) < MaxPackedTicks)
        {
            SortPacked(rows, minTicks);
            return;
        }

        for (var i = 0; i < rows.Length; i++)
        {
            var d = _distinctIndex[i];
            _keys[i] = new SortKey(d < 0 ? int.MaxValue : _rankOfDistinct[d], _ticks[i], rows[i]);
        }

        var keys = _keys.AsSpan(0, rows.Length);
        keys.Sort();
        for (var i = 0; i < rows.Length; i++)
        {
            rows[i] = keys[i].Row;
        }

        // Drop the batch references so sorted-away batches are not kept alive by this buffer.
        keys.Clear();
    }

    /// <summary>
    /// The usual case, a partition's rows (one day, far fewer than 2^23 keys): the rank and the time since the earliest
    /// row packed into one 64-bit number (rank above bit 40, where 2^40 ticks are 12.7 days), sorted with the row
    /// indexes as plain integers; only rows whose number is equal (same key, same time) are then ordered by event id.
    /// A third of the time of sorting the keys as structures compared one by one.
    /// </summary>
    private void SortPacked(Span<RowRef> rows, long minTicks)
    {
        var n = rows.Length;
        var nullRank = (ulong)_keyArns.Count; // nulls last
        Grow(ref _packed, n);
        Grow(ref _order, n);
        Grow(ref _original, n);
        for (var i = 0; i < n; i++)
        {
            var d = _distinctIndex[i];
            var rank = d < 0 ? nullRank : (ulong)_rankOfDistinct[d];
            _packed[i] = (rank << TickBits) | (ulong)(_ticks[i] - minTicks);
            _order[i] = i;
        }

        var packed = _packed.AsSpan(0, n);
        var order = _order.AsSpan(0, n);
        packed.Sort(order);
        var original = _original.AsSpan(0, n);
        rows.CopyTo(original);
        for (var start = 0; start < n;)
        {
            var end = start + 1;
            while (end < n && packed[end] == packed[start])
            {
                end++;
            }

            if (end - start > 1)
            {
                SortByEventId(order[start..end], _original);
            }

            start = end;
        }

        for (var i = 0; i < n; i++)
        {
            rows[i] = original[order[i]];
        }

        // Drop the batch references so sorted-away batches are not kept alive by this buffer.
        original.Clear();
    }

    private static void Grow<T>(ref T[] array, int length)
    {
        if (array.Length < length)
        {
            array = new T[Math.Max(length, array.Length * 2)];
        }
    }

    private readonly struct SortKey(int keyRank, long ticks, RowRef row) : IComparable<SortKey>
    {
        public readonly int KeyRank = keyRank;
        public readonly long Ticks = ticks;
        public readonly RowRef Row = row;

        public int CompareTo(SortKey other)
        {
            if (KeyRank != other.KeyRank)
            {
                return KeyRank < other.KeyRank ? -1 : 1;
            }

            if (Ticks != other.Ticks)
            {
                return Ticks < other.Ticks ? -1 : 1;
            }

            return Row.Batch.GetUtf8(KmsSchema.EventId, Row.Row).SequenceCompareTo(other.Row.Batch.GetUtf8(KmsSchema.EventId, other.Row.Row));
        }
    }

    /// <summary>Orders rows of equal key and time by event id: an insertion sort, as such runs are a few rows long.</summary>
    private void SortByEventId(Span<int> run, RowRef[] rows)
    {
        if (run.Length > 32)
        {
            _eventIdOrder ??= new EventIdOrder();
            _eventIdOrder.Rows = rows;
            run.Sort(_eventIdOrder);
            _eventIdOrder.Rows = [];
            return;
        }

        for (var i = 1; i < run.Length; i++)
        {
            var item = run[i];
            var j = i - 1;
            while (j >= 0 && EventIdOrder.Compare(rows, run[j], item) > 0)
            {
                run[j + 1] = run[j];
                j--;
            }

            run[j + 1] = item;
        }
    }

    private sealed class EventIdOrder : IComparer<int>
    {
        public RowRef[] Rows { get; set; } = [];

        public static int Compare(RowRef[] rows, int x, int y) =>
            rows[x].Batch.GetUtf8(KmsSchema.EventId, rows[x].Row).SequenceCompareTo(rows[y].Batch.GetUtf8(KmsSchema.EventId, rows[y].Row));

        public int Compare(int x, int y) => Compare(Rows, x, y);
    }

    private readonly struct ValueOrder(StringDictionary values) : IComparer<int>
    {
        public int Compare(int x, int y) => values.Value(x).SequenceCompareTo(values.Value(y));
    }
}
