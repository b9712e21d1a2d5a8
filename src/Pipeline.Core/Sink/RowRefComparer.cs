namespace Pipeline.Sink;

/// <summary>
/// File order of <c>kms_events</c>: key_arn (nulls last), event_time, event_id, ordinal. Leading with the key
/// gives row groups narrow key_arn min/max statistics, so per-key queries skip most of a file.
/// </summary>
internal sealed class RowRefComparer : IComparer<RowRef>
{
    public static readonly RowRefComparer Instance = new();

    public int Compare(RowRef x, RowRef y)
    {
        var xNull = x.Batch.IsNull(KmsSchema.KeyArn, x.Row);
        var yNull = y.Batch.IsNull(KmsSchema.KeyArn, y.Row);
        if (xNull != yNull)
        {
            return xNull ? 1 : -1;
        }

        var c = xNull ? 0 : x.Batch.GetUtf8(KmsSchema.KeyArn, x.Row).SequenceCompareTo(y.Batch.GetUtf8(KmsSchema.KeyArn, y.Row));
        if (c != 0)
        {
            return c;
        }

        c = x.Batch.GetTimestamp(KmsSchema.EventTime, x.Row).CompareTo(y.Batch.GetTimestamp(KmsSchema.EventTime, y.Row));
        return c != 0 ? c : x.Batch.GetUtf8(KmsSchema.EventId, x.Row).SequenceCompareTo(y.Batch.GetUtf8(KmsSchema.EventId, y.Row));
    }
}
