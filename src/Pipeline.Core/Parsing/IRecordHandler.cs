namespace Pipeline.Parsing;

/// <summary>Receives each element of a CloudTrail <c>Records[]</c> array as complete JSON bytes.</summary>
internal interface IRecordHandler
{
    /// <summary>Handles one record; called synchronously while its bytes are in the read buffer.</summary>
    /// <param name="record">The record's JSON object, exactly as stored.</param>
    /// <param name="recordIndex">Position in <c>Records[]</c>.</param>
    /// <param name="byteOffset">Decompressed offset of the record's first byte.</param>
    /// <param name="hasBackslash">Whether any string in the record contains an escape sequence.</param>
    void OnRecord(ReadOnlySpan<byte> record, long recordIndex, long byteOffset, bool hasBackslash);

    /// <summary>Called between buffer refills: the place for asynchronous work such as spilling rows to disk.</summary>
    ValueTask OnBufferProcessedAsync(CancellationToken cancellationToken);
}
