namespace Pipeline.Sink;

/// <summary>A Parquet file made visible in the dataset: its relative path (e.g. <c>kms_events/event_date=2024-05-01/part-...parquet</c>), rows and size.</summary>
internal sealed record PublishedFile(string RelativePath, DateOnly EventDate, long Rows, long Bytes);
