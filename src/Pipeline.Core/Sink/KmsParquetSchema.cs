using Parquet.Schema;

namespace Pipeline.Sink;

/// <summary>The Parquet schema of a <c>kms_events</c> file, derived from <see cref="KmsSchema.Columns"/> so the two cannot drift.</summary>
internal static class KmsParquetSchema
{
    /// <summary>Fields in file order; <c>Fields[i]</c> describes <c>KmsSchema.Columns[i]</c>.</summary>
    public static IReadOnlyList<DataField> Fields { get; } = KmsSchema.Columns.Select(CreateField).ToArray();

    public static ParquetSchema Schema { get; } = new(Fields);

    private static DataField CreateField(ColumnSpec column) => column.Kind switch
    {
        ColumnKind.String => new DataField<string>(column.Name, column.Nullable),

        // isAdjustedToUTC makes DuckDB read TIMESTAMP WITH TIME ZONE, the same type its own COPY writes, so
        // files from the writer and from compaction union without casts.
        ColumnKind.Timestamp => new DateTimeDataField(
            column.Name, DateTimeFormat.Timestamp, isAdjustedToUTC: true, DateTimeTimeUnit.Micros, isNullable: column.Nullable),
        ColumnKind.Boolean => new DataField<bool>(column.Name, column.Nullable),
        ColumnKind.Int32 => new DataField<int>(column.Name, column.Nullable),
        _ => throw new ArgumentOutOfRangeException(nameof(column), column.Kind, "Unknown column kind."),
    };
}
