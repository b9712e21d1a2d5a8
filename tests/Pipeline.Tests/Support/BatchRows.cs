using Pipeline.Sink;

namespace Pipeline.Tests.Support;

/// <summary>Reads a <see cref="KmsEventBatch"/> back as one dictionary per row keyed by column name, for assertions.</summary>
internal static class BatchRows
{
    public static List<Dictionary<string, object?>> Read(KmsEventBatch batch)
    {
        var rows = new List<Dictionary<string, object?>>();
        for (var row = 0; row < batch.Count; row++)
        {
            var values = new Dictionary<string, object?>(StringComparer.Ordinal);
            foreach (var c in KmsSchema.Columns)
            {
                values[c.Name] = Value(batch, c, row);
            }

            values["event_date"] = DateOnly.FromDayNumber(batch.GetEventDay(row));
            rows.Add(values);
        }

        return rows;
    }

    /// <summary>The value of one cell as a reader would return it (string, UTC DateTime, bool?, int?).</summary>
    public static object? Value(KmsEventBatch batch, ColumnSpec column, int row) => column.Kind switch
    {
        ColumnKind.String => batch.GetString(column.Slot, row),
        ColumnKind.Timestamp => batch.GetTimestamp(column.Slot, row),
        ColumnKind.Boolean => batch.GetBoolean(column.Slot, row),
        _ => batch.GetInt32(column.Slot, row),
    };
}
