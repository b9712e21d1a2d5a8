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

    /// <summary>
    /// What <see cref="System.Text.Json"/> found wrong, without the record's text: its message quotes the offending
    /// bytes, which for a broken literal (<c>tru,</c>) run on to the end of the record (identities, key ARNs,
    /// encryption context), while log lines and errors may carry object names, offsets and reasons only. Also drops
    /// its line/position suffix (the byte offset says where) and its advice to change reader options.
    /// </summary>
    public static string JsonProblem(System.Text.Json.JsonException ex)
    {
        var text = ex.Message;
        var at = text.IndexOf(" LineNumber:", StringComparison.Ordinal);
        if (at >= 0)
        {
            text = text[..at];
        }

        // "'<found>' is an invalid JSON literal. Expected the literal 'true'.": one character is a character, more is text.
        var quoted = text.StartsWith('\'') ? text.LastIndexOf("' is ", StringComparison.Ordinal) : -1;
        if (quoted > MaxQuotedChars + 1)
        {
            text = "the value there" + text[(quoted + 1)..];
        }

        return text.Replace(" which is not supported in this mode. Change the reader options.", ", which JSON does not allow.", StringComparison.Ordinal)
            .TrimEnd('.', ' ');
    }

    private const int MaxQuotedChars = 6;

    private static string Where(long offset, long? record, string reason) =>
        record is { } r ? $"record {r} (decompressed byte {offset}): {reason}" : $"decompressed byte {offset}: {reason}";
}
