using System.Buffers;

namespace Pipeline.Sink;

/// <summary>
/// Pooled arrays into which <see cref="ParquetPartitionWriter"/> gathers one column of a row group at a time.
/// One array per kind is enough because each column write completes before the next column is gathered.
/// </summary>
internal sealed class ColumnBuffers : IDisposable
{
    private bool[]? _nonNullBooleans;
    private int[]? _nonNullInt32s;

    public ColumnBuffers(int rows)
    {
        Strings = ArrayPool<ReadOnlyMemory<char>?>.Shared.Rent(rows);
        Timestamps = ArrayPool<DateTime>.Shared.Rent(rows);
        Booleans = ArrayPool<bool?>.Shared.Rent(rows);
        Int32s = ArrayPool<int?>.Shared.Rent(rows);
    }

    public ReadOnlyMemory<char>?[] Strings { get; }

    public DateTime[] Timestamps { get; }

    public bool?[] Booleans { get; }

    public int?[] Int32s { get; }

    /// <summary>Copies checked non-null values into the array a required column is written from.</summary>
    public ReadOnlyMemory<bool> NonNull(bool?[] values, int count)
    {
        _nonNullBooleans ??= ArrayPool<bool>.Shared.Rent(Booleans.Length);
        for (var i = 0; i < count; i++)
        {
            _nonNullBooleans[i] = values[i].GetValueOrDefault();
        }

        return _nonNullBooleans.AsMemory(0, count);
    }

    public ReadOnlyMemory<int> NonNull(int?[] values, int count)
    {
        _nonNullInt32s ??= ArrayPool<int>.Shared.Rent(Int32s.Length);
        for (var i = 0; i < count; i++)
        {
            _nonNullInt32s[i] = values[i].GetValueOrDefault();
        }

        return _nonNullInt32s.AsMemory(0, count);
    }

    public void Dispose()
    {
        // Cleared so that the pool does not keep the batches' text chunks alive.
        ArrayPool<ReadOnlyMemory<char>?>.Shared.Return(Strings, clearArray: true);
        ArrayPool<DateTime>.Shared.Return(Timestamps);
        ArrayPool<bool?>.Shared.Return(Booleans);
        ArrayPool<int?>.Shared.Return(Int32s);
        if (_nonNullBooleans is not null)
        {
            ArrayPool<bool>.Shared.Return(_nonNullBooleans);
        }

        if (_nonNullInt32s is not null)
        {
            ArrayPool<int>.Shared.Return(_nonNullInt32s);
        }
    }
}
