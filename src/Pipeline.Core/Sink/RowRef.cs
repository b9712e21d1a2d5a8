namespace Pipeline.Sink;

/// <summary>One row of a <see cref="KmsEventBatch"/>: lets the writer gather and sort rows of several batches without copying them.</summary>
internal readonly record struct RowRef(KmsEventBatch Batch, int Row);
