namespace Pipeline.Parsing;

/// <summary>Where a <see cref="Utf8Slice"/>'s bytes live.</summary>
internal enum SliceSource : byte
{
    None = 0,
    Record = 1,
    Scratch = 2,
}

/// <summary>
/// A value found in a record: a range either of the record's own bytes or, for strings that contained escape
/// sequences, of the parser's scratch buffer holding the unescaped text. <c>default</c> means absent or null.
/// </summary>
internal readonly record struct Utf8Slice(int Start, int Length, SliceSource Source)
{
    public bool HasValue => Source != SliceSource.None;
}
