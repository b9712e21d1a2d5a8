namespace Pipeline.Parsing;

/// <summary>
/// A CloudTrail object that cannot be read as a log file: names the object, the decompressed byte offset and, when
/// known, the record index, so the operator can find the bad bytes. Never transient: retrying the same bytes fails
/// the same way.
/// </summary>
internal sealed class CloudTrailFormatException : Exception
{
    public CloudTrailFormatException(string source, long byteOffset, long? recordIndex, string reason, Exception? inner = null)
        : base(source + ": " + Where(byteOffset, recordIndex, reason), inner)
    {
        Source = source;
        ByteOffset = byteOffset;
        RecordIndex = recordIndex;
        Reason = reason;
    }

    /// <summary>The object (S3 URI or file path).</summary>
    public new string Source { get; }

    /// <summary>Offset in the decompressed JSON where the problem was found.</summary>
    public long ByteOffset { get; }

    /// <summary>Index in <c>Records[]</c>, when the problem is inside a record.</summary>
    public long? RecordIndex { get; }

    public string Reason { get; }

    /// <summary>
    /// The data is not a CloudTrail log document at all (empty, not a JSON object, or an object without a
    /// <c>Records</c> array), as opposed to a log document that is damaged. Lets a folder walk pass over the other JSON
    /// files it meets (manifests, exports) while a damaged log file is still an error.
    /// </summary>
    public bool NotALogDocument { get; init; }

    /// <summary>Where and what, without the object's name: for messages that name the object already.</summary>
    public string Detail => Where(ByteOffset, RecordIndex, Reason);

    public static bool IsTransient => false;

    private static string Where(long offset, long? record, string reason) =>
        record is { } r ? $"record {r} (decompressed byte {offset}): {reason}" : $"decompressed byte {offset}: {reason}";
}
