namespace Pipeline.Ingest;

/// <summary>One object that could not be ingested, with what to tell the operator.</summary>
internal sealed record IngestError(string Source, string Message, long? ByteOffset, long? RecordIndex);
