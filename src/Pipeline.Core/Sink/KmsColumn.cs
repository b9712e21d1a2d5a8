namespace Pipeline.Sink;

/// <summary>Physical kind of a dataset column; decides its storage in <see cref="KmsEventBatch"/> and its Parquet type.</summary>
internal enum ColumnKind
{
    String,
    Timestamp,
    Boolean,
    Int32,
}

/// <summary>One column of the <c>kms_events</c> dataset: its name, kind and whether it may hold nulls.</summary>
internal sealed record ColumnSpec(string Name, ColumnKind Kind, bool Nullable, int Slot, string Description);
