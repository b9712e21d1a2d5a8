namespace Pipeline.Sink;

/// <summary>One row of a <see cref="KmsEventBatch"/>: lets the writer gather and sort rows of several batches without copying them.</summary>
internal readonly record struct RowRef(KmsEventBatch Batch, int Row)
{
    /// <summary>The rows of <paramref name="batches"/> grouped by partition day (<see cref="DateOnly.DayNumber"/>), days in order.</summary>
    public static SortedDictionary<int, List<RowRef>> ByDay(IEnumerable<KmsEventBatch> batches)
    {
        var byDay = new SortedDictionary<int, List<RowRef>>();
        foreach (var batch in batches)
        {
            for (var row = 0; row < batch.Count; row++)
            {
                var day = batch.GetEventDay(row);
                if (!byDay.TryGetValue(day, out var rows))
                {
                    rows = [];
                    byDay[day] = rows;
                }

                rows.Add(new RowRef(batch, row));
            }
        }

        return byDay;
    }
}
