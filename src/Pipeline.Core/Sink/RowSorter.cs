using Pipeline.Sink.ParquetFormat;

namespace Pipeline.Sink;

/// <summary>
/// Puts rows in file order (<see cref="RowRefComparer"/>: key_arn with nulls last, event_time, event_id) through
/// precomputed sort keys: each distinct key ARN is ranked once, so the sort compares two integers and a timestamp
/// instead of two ARNs' bytes, reached through their batches, at every step; event ids are read only for ties.
/// Not thread-safe; its buffers are reused from one sort to the next.
/// </summary>
internal sealed class RowSorter
{
    private readonly StringDictionary _keyArns = new();
    private SortKey[] _keys = [];
    private int[] _distinctIndex = [];
    private int[] _rankOfDistinct = [];
    private int[] _byValue = [];

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

        for (var i = 0; i < rows.Length; i++)
        {
            var r = rows[i];
            var d = _distinctIndex[i];
            _keys[i] = new SortKey(d < 0 ? int.MaxValue : _rankOfDistinct[d], r.Batch.GetTimestamp(KmsSchema.EventTime, r.Row).Ticks, r);
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

    private readonly struct ValueOrder(StringDictionary values) : IComparer<int>
    {
        public int Compare(int x, int y) => values.Value(x).SequenceCompareTo(values.Value(y));
    }
}
