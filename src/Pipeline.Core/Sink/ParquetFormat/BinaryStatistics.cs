
namespace Pipeline.Sink.ParquetFormat;

/// <summary>Running minimum and maximum of byte-string values in unsigned lexicographic order (Parquet's order for UTF-8).</summary>
internal sealed class BinaryStatistics
{
    private byte[] _min = new byte[64];
    private byte[] _max = new byte[64];
    private int _minLength;
    private int _maxLength;

    public bool HasValue { get; private set; }

    public ReadOnlySpan<byte> Min => _min.AsSpan(0, _minLength);

    public ReadOnlySpan<byte> Max => _max.AsSpan(0, _maxLength);

    public void Reset()
    {
        HasValue = false;
        _minLength = 0;
        _maxLength = 0;
    }

    public void Add(ReadOnlySpan<byte> value)
    {
        if (!HasValue)
        {
            HasValue = true;
            Set(ref _min, ref _minLength, value);
            Set(ref _max, ref _maxLength, value);
            return;
        }

        // A first byte strictly between those of the minimum and the maximum decides both comparisons: for ids and
        // ARNs written PLAIN, nearly every value once the first few have spread the two apart.
        if (value.Length > 0 && _minLength > 0 && _maxLength > 0 && value[0] > _min[0] && value[0] < _max[0])
        {
            return;
        }

        if (value.SequenceCompareTo(Min) < 0)
        {
            Set(ref _min, ref _minLength, value);
        }
        else if (value.SequenceCompareTo(Max) > 0)
        {
            Set(ref _max, ref _maxLength, value);
        }
    }

    private static void Set(ref byte[] target, ref int length, ReadOnlySpan<byte> value)
    {
        if (target.Length < value.Length)
        {
            target = new byte[Math.Max(value.Length, target.Length * 2)];
        }

        value.CopyTo(target);
        length = value.Length;
    }
}
